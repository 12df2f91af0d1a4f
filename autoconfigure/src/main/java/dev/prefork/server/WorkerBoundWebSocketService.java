package dev.prefork.server;

import reactor.core.publisher.Mono;

import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.server.ServerWebExchange;

/**
 * Runs WebSocket handlers on the worker that admitted the handshake, as Prefork runs every other
 * handler: without it, the handler and every message would run on a Netty event loop, where one
 * slow message stalls every connection of that loop. The worker counts its open sessions, and
 * closes them with {@code 1001 Going Away} when it stops taking requests (recycling, scaling down,
 * shutdown): a session's messages are handled on its worker's threads, which end with the worker,
 * and a client told it is going away reconnects (to a fresh worker).
 */
public final class WorkerBoundWebSocketService implements WebSocketService {

	private final WebSocketService delegate;

	/** Around Spring's own {@link HandshakeWebSocketService}. */
	public WorkerBoundWebSocketService() {
		this(new HandshakeWebSocketService());
	}

	public WorkerBoundWebSocketService(WebSocketService delegate) {
		this.delegate = delegate;
	}

	@Override
	public Mono<Void> handleRequest(ServerWebExchange exchange, WebSocketHandler handler) {
		RequestTask task = WorkerBoundHttpHandler.taskOf(exchange.getResponse());
		if (task == null) {
			return this.delegate.handleRequest(exchange, handler);
		}
		Worker worker = task.worker();
		return this.delegate.handleRequest(exchange,
				new WorkerBoundWebSocketHandler(handler, worker, task.scheduler(), task.connectionClosed()));
	}

}
