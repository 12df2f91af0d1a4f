package dev.prefork.server;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.Exceptions;
import reactor.core.scheduler.Scheduler;

/**
 * A request's continuations as a Reactor scheduler, for {@code subscribeOn} and {@code publishOn}
 * onto its worker: what Reactor's executor scheduler does, except on a rejection.
 * <p>
 * Why: a continuation is refused when its worker's threads have gone and no worker takes it
 * (between a timed-out worker and its replacement, or as the server stops), or when the queue's
 * headroom is used up. Reactor's executor scheduler then hands the rejection to the calling
 * thread's uncaught-exception handler as well as to the pipeline, so an event loop printed it on
 * standard error as a failure of its own (a test saw it on every session of a timed-out worker).
 * Here the rejection goes to the pipeline only, as the request's end or error, where it belongs.
 * A task that throws is logged, as Reactor's schedulers report it, and its worker's thread goes
 * on to the next one.
 */
final class ContinuationScheduler implements Scheduler {

	private static final Log logger = LogFactory.getLog(ContinuationScheduler.class);

	private final Executor continuations;

	ContinuationScheduler(Executor continuations) {
		this.continuations = continuations;
	}

	@Override
	public Disposable schedule(Runnable task) {
		return submit(new Task(task, null));
	}

	@Override
	public Worker createWorker() {
		return new ContinuationWorker();
	}

	private Task submit(Task task) {
		try {
			this.continuations.execute(task);
		}
		catch (RejectedExecutionException ex) {
			task.dispose();
			throw Exceptions.failWithRejected(ex);
		}
		return task;
	}

	/** The tasks of one operator (one {@code publishOn}), skipped once it is disposed. */
	private final class ContinuationWorker implements Worker {

		private final Disposable.Composite tasks = Disposables.composite();

		@Override
		public Disposable schedule(Runnable task) {
			Task scheduled = new Task(task, this.tasks);
			if (!this.tasks.add(scheduled)) {
				throw Exceptions.failWithRejected();
			}
			return submit(scheduled);
		}

		@Override
		public void dispose() {
			this.tasks.dispose();
		}

		@Override
		public boolean isDisposed() {
			return this.tasks.isDisposed();
		}

	}

	/** A task that does not run once disposed, and leaves its worker's set when done. */
	private static final class Task implements Runnable, Disposable {

		private final Runnable body;

		private final Disposable.@Nullable Composite parent;

		private final AtomicBoolean done = new AtomicBoolean();

		Task(Runnable body, Disposable.@Nullable Composite parent) {
			this.body = body;
			this.parent = parent;
		}

		@Override
		public void run() {
			if (!this.done.compareAndSet(false, true)) {
				return;
			}
			try {
				this.body.run();
			}
			catch (Throwable ex) {
				// Reactor's operators catch their own failures: one that escapes is a bug, which must
				// not cost the worker its thread (and the request's accounting with it).
				Exceptions.throwIfJvmFatal(ex);
				logger.error("A continuation of a request failed", ex);
			}
			finally {
				if (this.parent != null) {
					this.parent.remove(this);
				}
			}
		}

		@Override
		public void dispose() {
			if (this.done.compareAndSet(false, true) && this.parent != null) {
				this.parent.remove(this);
			}
		}

		@Override
		public boolean isDisposed() {
			return this.done.get();
		}

	}

}
