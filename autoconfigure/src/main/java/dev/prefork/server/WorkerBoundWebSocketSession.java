package dev.prefork.server;

import java.util.Map;
import java.util.function.Function;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
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
	 * The messages, each delivered on the worker, as a copy on the heap. The event loop releases a
	 * message once its callback returns; a retained one, handed to the worker, would leak whenever
	 * the session ends between the hand-off and its delivery (Reactor drops a delivery pending on a
	 * worker it has disposed, and what it was to deliver with it). A heap copy needs no release.
	 */
	@Override
	public Flux<WebSocketMessage> receive() {
		return this.delegate.receive().map(WorkerBoundWebSocketSession::copyOnHeap).publishOn(this.scheduler);
	}

	private static WebSocketMessage copyOnHeap(WebSocketMessage message) {
		DataBuffer payload = message.getPayload();
		byte[] bytes = new byte[payload.readableByteCount()];
		payload.read(bytes);
		return new WebSocketMessage(message.getType(), DefaultDataBufferFactory.sharedInstance.wrap(bytes));
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

}
