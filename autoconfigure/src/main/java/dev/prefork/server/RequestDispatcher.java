package dev.prefork.server;

import java.util.List;
import java.util.function.BiFunction;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
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

	private final @Nullable AccessLog accessLog;

	private volatile boolean refusing;

	private volatile boolean closingConnections;

	RequestDispatcher(BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>> handler,
			WorkerPool pool, Arbiter arbiter, RequestOutcomes outcomes, List<RequestHook> hooks,
			ServerSettings settings, @Nullable AccessLog accessLog) {
		this.handler = handler;
		this.arbiter = arbiter;
		this.settings = settings;
		this.pool = pool;
		this.outcomes = outcomes;
		this.hooks = List.copyOf(hooks);
		this.accessLog = accessLog;
	}

	@Override
	public Publisher<Void> apply(HttpServerRequest request, HttpServerResponse response) {
		return Mono.create((sink) -> {
			RequestTask task = new RequestTask(request, response, this.handler, sink, this.outcomes, this.hooks,
					this.accessLog);
			// Watched before anything can end it, so that the access log sees every request finish,
			// refused ones included.
			task.watchResponse();
			if (this.refusing) {
				task.refuseShuttingDown();
				return;
			}
			if (this.closingConnections) {
				if (isWebSocketHandshake(request)) {
					// A session now would outlive the drain, or be cut by it: the client can open
					// it on another worker JVM.
					task.refuseShuttingDown();
					return;
				}
				response.keepAlive(false);
			}
			if (!admit(task, request)) {
				task.reject();
				return;
			}
			sink.onCancel(task::cancel);
		});
	}

	private static boolean isWebSocketHandshake(HttpServerRequest request) {
		return request.requestHeaders().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
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

	/**
	 * From now on serve requests with {@code Connection: close}, so that clients move to the
	 * other worker JVMs of process mode while this one drains.
	 */
	void closeConnectionsAfterResponse() {
		this.closingConnections = true;
	}

	/** Takes requests again: the server was started after a stop. */
	void acceptRequests() {
		this.refusing = false;
		this.closingConnections = false;
	}

}
