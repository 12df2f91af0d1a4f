package dev.prefork.server;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Keeps a request's body on its worker. Netty delivers body chunks on the event loop; without
 * this, a {@code @RequestBody} would be decoded (and the controller run) on the event loop.
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
		Scheduler scheduler = Schedulers.fromExecutor(task.continuations());
		return this.delegate.handle(new BodyOnWorker(request, scheduler), response);
	}

	private static final class BodyOnWorker extends ServerHttpRequestDecorator {

		private final Scheduler scheduler;

		BodyOnWorker(ServerHttpRequest delegate, Scheduler scheduler) {
			super(delegate);
			this.scheduler = scheduler;
		}

		@Override
		public Flux<DataBuffer> getBody() {
			return getDelegate().getBody().publishOn(this.scheduler);
		}

	}

}
