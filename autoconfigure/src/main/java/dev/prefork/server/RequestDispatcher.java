package dev.prefork.server;

import java.util.List;
import java.util.function.BiFunction;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The reactor-netty handler: hands each request from the event loop to a worker, or answers
 * 503 at once when every worker is full. The event loop never runs application code.
 */
final class RequestDispatcher implements BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> {

	private final BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>> handler;

	private final WorkerPool pool;

	private final RequestOutcomes outcomes;

	private final List<RequestHook> hooks;

	private final ServerSettings settings;

	private final Arbiter arbiter;

	private volatile boolean refusing;

	RequestDispatcher(BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>> handler,
			WorkerPool pool, Arbiter arbiter, RequestOutcomes outcomes, List<RequestHook> hooks,
			ServerSettings settings) {
		this.handler = handler;
		this.arbiter = arbiter;
		this.settings = settings;
		this.pool = pool;
		this.outcomes = outcomes;
		this.hooks = List.copyOf(hooks);
	}

	@Override
	public Publisher<Void> apply(HttpServerRequest request, HttpServerResponse response) {
		return Mono.create((sink) -> {
			RequestTask task = new RequestTask(request, response, this.handler, sink, this.outcomes, this.hooks);
			if (this.refusing) {
				answerAfterThisCall(request, task::refuseShuttingDown);
				return;
			}
			if (!admit(task, request)) {
				answerAfterThisCall(request, task::reject);
				return;
			}
			sink.onCancel(task::cancel);
		});
	}

	/**
	 * Answers on the connection's next event-loop turn rather than inside the handler call:
	 * reactor-netty 1.3.7 can stop reading a keep-alive connection whose response completed
	 * before the handler call returned (reactor/reactor-netty#4361, fixed in 1.3.8).
	 */
	private static void answerAfterThisCall(HttpServerRequest request, Runnable answer) {
		if (request instanceof Connection connection) {
			connection.channel().eventLoop().execute(answer);
		}
		else {
			answer.run();
		}
	}

	private boolean admit(RequestTask task, HttpServerRequest request) {
		if (this.settings.hasManagementLane() && this.settings.isManagementRequest(request.uri())) {
			Worker lane = this.arbiter.getManagementLane();
			return lane != null && lane.tryAdmit(task);
		}
		return this.pool.admit(task);
	}

	/** From now on answer 503 and close, as the server is shutting down. */
	void refuseNewRequests() {
		this.refusing = true;
	}

}
