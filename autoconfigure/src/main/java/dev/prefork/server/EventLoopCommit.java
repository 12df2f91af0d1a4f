package dev.prefork.server;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.channel.EventLoop;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.netty.channel.ChannelOperations;

/**
 * The last commit action of a one-buffer answer on HTTP/2: it carries the rest of the commit, and
 * the send, over to the stream's event loop, unless reactor-netty has stopped serving the request
 * there. reactor-netty disposes a request's operations on that loop (the client reset its stream,
 * or left), and keeps a one-buffer body given to disposed operations aside, neither sent nor
 * released (1.3.8). Looked at, committed and sent in one task of the loop, the operations cannot
 * be disposed in between, and the send writes with no hand-off of its own.
 * <p>
 * The task is queued only once the thread that reached the action has left the request's code:
 * Reactor hands the rest of a chain to whichever thread is still draining it, so a task that
 * completed while the worker was still inside would let the worker, not the loop, send. A thread
 * outside the request's code (a reactive commit action completing elsewhere) passes the action
 * to the request's worker first. A thread that reached the action and then parked in the
 * request's code (blocking code waiting for this very write) will not leave before the write is
 * done: the arbiter's supervision queues the task for it ({@link #releaseIfParked}).
 */
final class EventLoopCommit {

	private final RequestTask task;

	private final EventLoop eventLoop;

	private final ChannelOperations<?, ?> operations;

	/** The action reached by a thread still in the request's code, queued when that thread leaves. */
	private final AtomicReference<Pending> pending = new AtomicReference<>();

	EventLoopCommit(RequestTask task, EventLoop eventLoop, ChannelOperations<?, ?> operations) {
		this.task = task;
		this.eventLoop = eventLoop;
		this.operations = operations;
	}

	Mono<Void> action() {
		return Mono.create((sink) -> {
			Send send = new Send(sink);
			if (!reachedInTheRequestsCode(send)) {
				this.task.continuations().execute(() -> handOver(send));
			}
		});
	}

	/** The calling thread leaves the request's code: if it reached the action, the loop may take it now. */
	void threadLeft() {
		Pending reached = this.pending.get();
		if (reached != null && reached.thread() == Thread.currentThread() && this.pending.compareAndSet(reached, null)) {
			queue(reached.send());
		}
	}

	/**
	 * Queues the task for a thread that reached the action at least {@code minNanos} ago and is
	 * parked (waiting, sleeping) in the request's code: it is draining no chain that the loop's
	 * completion could hand the send back to, and it may be waiting for the send itself.
	 */
	void releaseIfParked(long nowNanos, long minNanos) {
		Pending reached = this.pending.get();
		if (reached == null || nowNanos - reached.reachedNanos() < minNanos) {
			return;
		}
		Thread.State state = reached.thread().getState();
		if ((state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING)
				&& this.pending.compareAndSet(reached, null)) {
			queue(reached.send());
		}
	}

	private void handOver(Send send) {
		if (!reachedInTheRequestsCode(send)) {
			queue(send); // run where the continuation completed (RequestTask#continuations), left already
		}
	}

	/** Keeps the action for the calling thread to release as it leaves, if it is in the request's code. */
	private boolean reachedInTheRequestsCode(Send send) {
		if (RequestTask.current() != this.task) {
			return false;
		}
		this.pending.set(new Pending(send, Thread.currentThread(), System.nanoTime()));
		return true;
	}

	private void queue(Send send) {
		try {
			this.eventLoop.execute(() -> {
				if (this.operations.isDisposed()) {
					// The client left: the request ends so, and its pipeline is cancelled, this action
					// with it when the answer was subscribed there (Spring then releases the body).
					// Code that subscribed to the write apart, as blocking code waiting for it does,
					// hears that it failed (and the body is released as on any failed write).
					this.task.cancel();
					if (!send.cancelled) {
						send.sink.error(new RequestAnsweredException());
					}
				}
				else {
					send.sink.success();
				}
			});
		}
		catch (RejectedExecutionException ex) {
			send.sink.error(new RequestAnsweredException()); // the loops have stopped, and the connection with them
		}
	}

	private record Pending(Send send, Thread thread, long reachedNanos) {
	}

	/** The action's sink, and whether its subscriber cancelled it. */
	private static final class Send {

		final MonoSink<Void> sink;

		volatile boolean cancelled;

		Send(MonoSink<Void> sink) {
			this.sink = sink;
			sink.onCancel(() -> this.cancelled = true);
		}

	}

}
