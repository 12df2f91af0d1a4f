package dev.prefork.server;

import java.util.concurrent.Executor;

import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.scheduler.Scheduler;

/**
 * A scheduler on a request's continuations whose scheduled tasks run even once their worker is
 * disposed, for {@code publishOn} of the request body.
 * <p>
 * Why: when a request is cancelled with a drain of {@code publishOn} already scheduled, Reactor
 * disposes the worker and leaves the clearing of its queue to that drain; Reactor's executor
 * scheduler then skips the disposed drain, and the body chunks in the queue are never released
 * (the chaos stress test saw it on cancelled uploads). Run all the same, the drain finds the
 * request cancelled and discards them. Not for {@code subscribeOn}: there a task that runs after
 * the cancel would still start the application's handler.
 */
final class DrainingScheduler implements Scheduler {

	/** A scheduled drain is never taken back: cancelling it is what leaked. */
	private static final Disposable RUNS_ANYWAY = () -> {
	};

	private final Executor executor;

	DrainingScheduler(Executor executor) {
		this.executor = executor;
	}

	@Override
	public Disposable schedule(Runnable task) {
		this.executor.execute(task);
		return RUNS_ANYWAY;
	}

	@Override
	public Worker createWorker() {
		return new DrainingWorker();
	}

	private final class DrainingWorker implements Worker {

		private volatile boolean disposed;

		@Override
		public Disposable schedule(Runnable task) {
			if (this.disposed) {
				throw Exceptions.failWithRejected();
			}
			DrainingScheduler.this.executor.execute(task);
			return RUNS_ANYWAY;
		}

		@Override
		public void dispose() {
			this.disposed = true;
		}

		@Override
		public boolean isDisposed() {
			return this.disposed;
		}

	}

}
