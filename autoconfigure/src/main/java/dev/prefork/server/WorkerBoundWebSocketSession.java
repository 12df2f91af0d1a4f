package dev.prefork.server;

import java.util.Map;
import java.util.function.Function;

import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.Context;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.HandshakeInfo;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;

/**
 * A WebSocket session whose incoming messages are delivered on its worker rather than on the
 * event loop that read them; everything else is the session as it is.
 */
final class WorkerBoundWebSocketSession implements WebSocketSession {

	private final WebSocketSession delegate;

	private final Scheduler scheduler;

	WorkerBoundWebSocketSession(WebSocketSession delegate, Scheduler scheduler) {
		this.delegate = delegate;
		this.scheduler = scheduler;
	}

	/**
	 * The messages, each delivered on the worker. The event loop releases a message once its
	 * callback returns, so each is retained for the hand-off and released once the handler's
	 * callback on the worker has returned: as on the event loop, the payload is valid during the
	 * callback (a handler that keeps it longer retains it itself). A message still waiting when the
	 * session ends is released too.
	 */
	@Override
	public Flux<WebSocketMessage> receive() {
		Flux<WebSocketMessage> handedOver = this.delegate.receive()
			.map(WebSocketMessage::retain)
			.publishOn(this.scheduler)
			.doOnDiscard(WebSocketMessage.class, WorkerBoundWebSocketSession::release);
		return handedOver.transform(Operators.<WebSocketMessage, WebSocketMessage>lift(
				(scannable, subscriber) -> new ReleaseAfterCallback(subscriber)));
	}

	private static void release(WebSocketMessage message) {
		DataBufferUtils.release(message.getPayload());
	}

	@Override
	public Mono<Void> send(Publisher<WebSocketMessage> messages) {
		return this.delegate.send(messages);
	}

	@Override
	public String getId() {
		return this.delegate.getId();
	}

	@Override
	public HandshakeInfo getHandshakeInfo() {
		return this.delegate.getHandshakeInfo();
	}

	@Override
	public DataBufferFactory bufferFactory() {
		return this.delegate.bufferFactory();
	}

	@Override
	public Map<String, Object> getAttributes() {
		return this.delegate.getAttributes();
	}

	@Override
	public boolean isOpen() {
		return this.delegate.isOpen();
	}

	@Override
	public Mono<Void> close(CloseStatus status) {
		return this.delegate.close(status);
	}

	@Override
	public Mono<CloseStatus> closeStatus() {
		return this.delegate.closeStatus();
	}

	@Override
	public WebSocketMessage textMessage(String payload) {
		return this.delegate.textMessage(payload);
	}

	@Override
	public WebSocketMessage binaryMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
		return this.delegate.binaryMessage(payloadFactory);
	}

	@Override
	public WebSocketMessage pingMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
		return this.delegate.pingMessage(payloadFactory);
	}

	@Override
	public WebSocketMessage pongMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
		return this.delegate.pongMessage(payloadFactory);
	}

	/** Gives back the hand-off's reference to each message once the handler's callback returned. */
	private static final class ReleaseAfterCallback implements CoreSubscriber<WebSocketMessage> {

		private final CoreSubscriber<? super WebSocketMessage> actual;

		ReleaseAfterCallback(CoreSubscriber<? super WebSocketMessage> actual) {
			this.actual = actual;
		}

		@Override
		public Context currentContext() {
			return this.actual.currentContext();
		}

		@Override
		public void onSubscribe(Subscription subscription) {
			this.actual.onSubscribe(subscription);
		}

		@Override
		public void onNext(WebSocketMessage message) {
			try {
				this.actual.onNext(message);
			}
			finally {
				release(message);
			}
		}

		@Override
		public void onError(Throwable error) {
			this.actual.onError(error);
		}

		@Override
		public void onComplete() {
			this.actual.onComplete();
		}

	}

}
