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

	/** Completes when the connection closes. */
	private final Mono<Void> connectionClosed;

	WorkerBoundWebSocketHandler(WebSocketHandler delegate, Worker worker, Scheduler scheduler,
			Mono<Void> connectionClosed) {
		this.delegate = delegate;
		this.worker = worker;
		this.scheduler = scheduler;
		this.connectionClosed = connectionClosed;
	}

	@Override
	public List<String> getSubProtocols() {
		return this.delegate.getSubProtocols();
	}

	/**
	 * Counts the session from the upgrade (on the event loop, before anything can close it) until
	 * the handler ends or the connection closes, whichever comes first. The handler is subscribed
	 * later, on the worker: a connection that closes in between would leave it waiting on an
	 * outbound that never answers, so the connection's end cancels it, and with it whatever it
	 * holds (messages handed over to the worker among them).
	 */
	@Override
	public Mono<Void> handle(WebSocketSession session) {
		WebSocketSession onWorker = new WorkerBoundWebSocketSession(session, this.scheduler);
		Runnable goingAway = () -> session.close(CloseStatus.GOING_AWAY).subscribe();
		this.worker.webSocketOpened(goingAway);
		return Mono.defer(() -> this.delegate.handle(onWorker))
			.subscribeOn(this.scheduler)
			.takeUntilOther(this.connectionClosed.then(Mono.just(Boolean.TRUE)))
			.doFinally((signal) -> this.worker.webSocketClosed(goingAway));
	}

}
