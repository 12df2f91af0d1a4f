package dev.prefork.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ZeroCopyHttpOutputMessage;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;

/**
 * What the application sees of a request on a worker: a body whose chunks are published on the
 * worker (Netty delivers them on the event loop; without this a {@code @RequestBody} would be
 * decoded, and the controller run, on the event loop), and a response that the application can
 * write only while the server has not ended the request itself.
 */
final class WorkerBoundHttpHandler implements HttpHandler {

	private final HttpHandler delegate;

	WorkerBoundHttpHandler(HttpHandler delegate) {
		this.delegate = delegate;
	}

	@Override
	public Mono<Void> handle(ServerHttpRequest request, ServerHttpResponse response) {
		RequestTask task = RequestTask.current();
		if (task == null) {
			return this.delegate.handle(request, response);
		}
		return this.delegate.handle(new BodyOnWorker(request, task), new AnswerGate(response, task));
	}

	/** Releases buffers that will never be written. */
	private static Mono<Void> release(Publisher<? extends DataBuffer> body) {
		return Flux.from(body)
			.doOnNext(DataBufferUtils::release)
			.doOnDiscard(DataBuffer.class, DataBufferUtils::release)
			.then();
	}

	private static final class BodyOnWorker extends ServerHttpRequestDecorator {

		private final RequestTask task;

		BodyOnWorker(ServerHttpRequest delegate, RequestTask task) {
			super(delegate);
			this.task = task;
		}

		@Override
		public Flux<DataBuffer> getBody() {
			// Downstream of publishOn, so that chunks still in its queue when the request is
			// cancelled, or when an aborted worker refuses the continuation, are released.
			return getDelegate().getBody()
				.publishOn(this.task.bodyScheduler())
				.doOnDiscard(DataBuffer.class, DataBufferUtils::release);
		}

	}

	/**
	 * The request a response belongs to, found through the decorators around it, or {@code null}
	 * for a response that did not come through a worker.
	 */
	static @Nullable RequestTask taskOf(ServerHttpResponse response) {
		ServerHttpResponse current = response;
		while (current instanceof ServerHttpResponseDecorator decorator) {
			if (decorator instanceof AnswerGate gate) {
				return gate.task;
			}
			current = decorator.getDelegate();
		}
		return null;
	}

	/**
	 * Keeps the response the application's only while the server has not ended its request. The
	 * application claims it when Spring commits it (the first commit action, so at the first body
	 * element of a {@code Flux}, not when the write is subscribed: what produces that element is
	 * still under the request timeout); a commit the server got to first fails, and any write
	 * subscribed after the server ended the request is released instead of sent.
	 */
	private static final class AnswerGate extends ServerHttpResponseDecorator implements ZeroCopyHttpOutputMessage {

		private final RequestTask task;

		/**
		 * The application's commit actions, run between the claim and the hop; {@code null} until
		 * it registers one, as most requests never do.
		 */
		private @Nullable List<Supplier<? extends Mono<Void>>> commitActions;

		/** Whether the commit ends on the stream's event loop: a one-buffer answer on HTTP/2. */
		private volatile boolean commitOnEventLoop;

		AnswerGate(ServerHttpResponse delegate, RequestTask task) {
			super(delegate);
			this.task = task;
			// One action on the response: the claim first, the application's own in between (also
			// those registered as late as while the body is produced), the hop to the loop last.
			delegate.beforeCommit(() -> Mono.defer(this::commit));
		}

		/**
		 * Every request commits, so the chain of operators is built only for what this one has:
		 * most have no action of the application's and, on HTTP/1.1, no hop.
		 */
		private Mono<Void> commit() {
			if (!this.task.beginResponse()) {
				return Mono.error(new RequestAnsweredException());
			}
			List<Supplier<? extends Mono<Void>>> actions = this.commitActions;
			if (actions == null) {
				return endCommit();
			}
			return Flux.concat(Flux.fromIterable(actions).map(Supplier::get)).then(Mono.defer(this::endCommit));
		}

		/** What ends the commit: the hop to the stream's event loop, when the answer takes it. */
		private Mono<Void> endCommit() {
			return this.commitOnEventLoop ? this.task.commitOnEventLoop() : Mono.empty();
		}

		@Override
		public void beforeCommit(Supplier<? extends Mono<Void>> action) {
			if (this.commitActions == null) {
				this.commitActions = new ArrayList<>(2);
			}
			this.commitActions.add(action);
		}

		@Override
		public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
			return Mono.defer(() -> {
				if (this.task.isEnded()) {
					return release(body);
				}
				if (body instanceof Mono<? extends DataBuffer> single) {
					// Written at once: a Mono needs no watching, and left a Mono, Spring and
					// reactor-netty send it without a send operator, in one write.
					// On HTTP/2 the commit ends, and the body goes out, on the stream's event loop,
					// where a reset stream cannot keep the buffer (EventLoopCommit).
					this.commitOnEventLoop = this.task.isHttp2();
					return getDelegate().writeWith(counted(single));
				}
				return getDelegate().writeWith(onWorker(watched(body)));
			});
		}

		@Override
		public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
			return Mono.defer(() -> this.task.isEnded() ? release(Flux.from(body).concatMap(Flux::from))
					: getDelegate().writeAndFlushWith(onWorker(Flux.from(body).map(this::watched))));
		}

		/**
		 * A body of one buffer, whose bytes the access log counts as it goes to the connection: an
		 * operator only while the access log is on, and a {@code Mono} still (see below).
		 */
		private Mono<? extends DataBuffer> counted(Mono<? extends DataBuffer> single) {
			return this.task.countsBodyBytes()
					? single.doOnNext((buffer) -> this.task.bodyWritten(buffer.readableByteCount())) : single;
		}

		/**
		 * A streamed body tells its request each time it writes, for the stream idle timeout, and
		 * for the access log how much.
		 */
		private Flux<? extends DataBuffer> watched(Publisher<? extends DataBuffer> body) {
			if (!this.task.countsBodyBytes()) {
				return Flux.from(body).doOnNext((buffer) -> this.task.wrote());
			}
			return Flux.from(body).doOnNext((buffer) -> {
				this.task.wrote();
				this.task.bodyWritten(buffer.readableByteCount());
			});
		}

		/**
		 * The demand of the connection's event loop passed on on the worker (see
		 * {@link DemandOnWorker}). Of {@code writeAndFlushWith}'s groups only the outer stream,
		 * which the application produces; each group is what Spring encoded of one element, and
		 * a hand-off per group would be one per event. Not a file's chunks either: reading them
		 * runs no application code.
		 */
		private <T> Flux<T> onWorker(Flux<T> stream) {
			return DemandOnWorker.of(stream, this.task.continuations());
		}

		@Override
		public Mono<Void> setComplete() {
			return Mono.defer(() -> this.task.isEnded() ? Mono.empty() : getDelegate().setComplete());
		}

		@Override
		public Mono<Void> writeWith(Path file, long position, long count) {
			return Mono.defer(() -> {
				if (this.task.isEnded()) {
					return Mono.empty();
				}
				ServerHttpResponse delegate = getDelegate();
				if (delegate instanceof ZeroCopyHttpOutputMessage zeroCopy) {
					Mono<Void> sent = zeroCopy.writeWith(file, position, count);
					return this.task.countsBodyBytes() ? sent.doOnSuccess((done) -> this.task.bodyWritten(count)) : sent;
				}
				Flux<DataBuffer> chunks = DataBufferUtils.read(new FileSystemResource(file), position, bufferFactory(),
						64 * 1024);
				return delegate.writeWith(watched(DataBufferUtils.takeUntilByteCount(chunks, count)));
			});
		}

	}

}
