package dev.prefork.server;

import java.util.List;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketSession;

/**
 * The application's WebSocket handler, started on the session's worker with a session whose
 * messages arrive there, and registered with the worker while the session is open.
 */
final class WorkerBoundWebSocketHandler implements WebSocketHandler {

	private final WebSocketHandler delegate;

	private final Worker worker;

	private final Scheduler scheduler;

	WorkerBoundWebSocketHandler(WebSocketHandler delegate, Worker worker, Scheduler scheduler) {
		this.delegate = delegate;
		this.worker = worker;
		this.scheduler = scheduler;
	}

	@Override
	public List<String> getSubProtocols() {
		return this.delegate.getSubProtocols();
	}

	@Override
	public Mono<Void> handle(WebSocketSession session) {
		WebSocketSession onWorker = new WorkerBoundWebSocketSession(session, this.scheduler);
		Runnable goingAway = () -> session.close(CloseStatus.GOING_AWAY).subscribe();
		return Mono.defer(() -> {
			this.worker.webSocketOpened(goingAway);
			return this.delegate.handle(onWorker);
		}).subscribeOn(this.scheduler).doFinally((signal) -> this.worker.webSocketClosed(goingAway));
	}

}
