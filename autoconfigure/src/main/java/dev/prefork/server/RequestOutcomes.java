package dev.prefork.server;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

import reactor.netty.http.server.HttpServerRequest;

import org.springframework.http.server.reactive.ServerHttpResponse;

/**
 * Server-wide tallies of how requests ended other than normally: rejected for overload,
 * timed out, dropped because the client left, or failed with an exception.
 */
public final class RequestOutcomes {

	private final LongAdder rejected = new LongAdder();

	private final LongAdder requestTimeouts = new LongAdder();

	private final LongAdder clientGone = new LongAdder();

	private final RecentExceptions recentExceptions;

	private final Optional<String> retryAfter;

	RequestOutcomes(int exceptionCapacity, Duration retryAfter) {
		this.recentExceptions = new RecentExceptions(exceptionCapacity);
		this.retryAfter = (!retryAfter.isZero())
				? Optional.of(Long.toString(Math.max(1, (retryAfter.toMillis() + 999) / 1000))) : Optional.empty();
	}

	void rejected() {
		this.rejected.increment();
	}

	void requestTimedOut() {
		this.requestTimeouts.increment();
	}

	void clientGone() {
		this.clientGone.increment();
	}

	void exception(Throwable error, Worker worker, Thread thread, HttpServerRequest request) {
		record(error, worker, thread, request.method().name(), request.fullPath());
	}

	/**
	 * Records an exception that the application's error handling turned into a response, so that
	 * it is counted like one that reached the server. Call it on the thread that saw the exception.
	 * @param error the exception
	 * @param method the request method
	 * @param path the request path, without the query string
	 */
	public void recordHandledException(Throwable error, String method, String path) {
		if (isCurrentRequestAnswered()) {
			return; // the request already timed out or was aborted: this is the interrupt surfacing
		}
		RequestTask task = RequestTask.current();
		Worker worker = Worker.current();
		if (worker == null && task != null) {
			worker = task.worker();
		}
		record(error, worker, Thread.currentThread(), method, path);
	}

	/**
	 * Whether the server has already ended the request that the calling thread runs: answered it
	 * 503 because it timed out or its worker was aborted (and interrupted the thread), or dropped it
	 * because its client went away. Nothing the application writes for it any more is sent.
	 * @return {@code false} also on a thread that runs no request
	 */
	public boolean isCurrentRequestAnswered() {
		RequestTask task = RequestTask.current();
		return task != null && task.isEnded();
	}

	/**
	 * Whether the server has already ended the request that the response belongs to (answered it
	 * 503, or dropped it because its client left): the same question as
	 * {@link #isCurrentRequestAnswered()}, asked of the response, from any thread.
	 * @param response the response, as the application's exchange holds it
	 * @return {@code false} also for a response that did not come through a worker
	 */
	public boolean isAnswered(ServerHttpResponse response) {
		RequestTask task = WorkerBoundHttpHandler.taskOf(response);
		return task != null && task.isAnsweredByServer();
	}

	private void record(Throwable error, Worker worker, Thread thread, String method, String path) {
		RecentExceptions.Entry entry = new RecentExceptions.Entry(Instant.now(), error.getClass().getName(),
				error.getMessage(), (worker != null) ? worker.getId() : 0, thread.getName(), method, path, error);
		if (worker != null) {
			worker.exceptionRaised(entry);
		}
		this.recentExceptions.add(entry);
	}

	Optional<String> retryAfter() {
		return this.retryAfter;
	}

	/** Requests answered 503 because every worker was full. */
	public long getRejected() {
		return this.rejected.sum();
	}

	/** Requests answered 503 because they ran past the request timeout. */
	public long getRequestTimeouts() {
		return this.requestTimeouts.sum();
	}

	/** Requests dropped because their client disconnected before they were answered. */
	public long getClientGone() {
		return this.clientGone.sum();
	}

	public RecentExceptions getRecentExceptions() {
		return this.recentExceptions;
	}

}
