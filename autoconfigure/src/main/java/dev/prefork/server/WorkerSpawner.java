package dev.prefork.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * Boots workers on a thread of its own ({@code prefork-spawner}), one at a time, so that a slow
 * {@link WorkerInitializer} never stalls the arbiter's supervision (gunicorn forks, and goes on
 * with its loop while the child boots). Results wait in a queue for the arbiter to take; a
 * worker booted after {@link #close} is aborted at once, so none outlives the server.
 */
final class WorkerSpawner {

	/** Spawns asked for and not yet done: one per slot at most, so the queue is bounded by the slots. */
	private final ThreadPoolExecutor thread;

	private final Queue<Result> results = new ConcurrentLinkedQueue<>();

	/** Booted workers the arbiter has not taken yet; aborted if the server stops first. */
	private final Set<Worker> untaken = ConcurrentHashMap.newKeySet();

	private final Runnable wakeUp;

	private volatile boolean closed;

	/** @param wakeUp tells the arbiter that a result is waiting */
	WorkerSpawner(String threadName, Runnable wakeUp) {
		this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
				new ArrayBlockingQueue<>(ServerSettings.MAX_WORKERS + 1), (runnable) -> {
					Thread spawner = new Thread(runnable, threadName);
					spawner.setDaemon(true);
					return spawner;
				});
		this.wakeUp = wakeUp;
	}

	/** Boots a worker in the background; its result arrives through {@link #takeResult()}. */
	void spawn(int slot, Boot boot) {
		try {
			this.thread.execute(() -> run(slot, boot));
		}
		catch (RejectedExecutionException ex) {
			if (!this.closed) {
				this.results.add(new Result(slot, null, new WorkerBootException("Worker " + slot + " could not be "
						+ "booted: too many boots pending", ex)));
			}
		}
	}

	private void run(int slot, Boot boot) {
		if (this.closed) {
			return;
		}
		Result result;
		try {
			Worker worker = boot.boot();
			if (worker == null) {
				return;
			}
			synchronized (this) {
				if (this.closed) {
					worker.abort("server stopped");
					return;
				}
				this.untaken.add(worker);
			}
			result = new Result(slot, worker, null);
		}
		catch (WorkerBootException ex) {
			result = new Result(slot, null, ex);
		}
		this.results.add(result);
		this.wakeUp.run();
	}

	/** The next boot result, or {@code null}; the worker in it is the caller's from now on. */
	@Nullable Result takeResult() {
		Result result = this.results.poll();
		if (result != null && result.worker() != null) {
			this.untaken.remove(result.worker());
		}
		return result;
	}

	/**
	 * Stops booting, interrupting a boot under way, and waits for it up to {@code waitMillis}.
	 * @return workers booted that the arbiter never took, now stopped
	 */
	List<Worker> close(long waitMillis) {
		synchronized (this) {
			this.closed = true;
		}
		this.thread.shutdownNow();
		try {
			this.thread.awaitTermination(waitMillis, TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		List<Worker> left = new ArrayList<>(this.untaken);
		this.untaken.clear();
		this.results.clear();
		left.forEach((worker) -> worker.abort("server stopped"));
		return left;
	}

	/** Creates and boots one worker, on the spawner's thread. */
	@FunctionalInterface
	interface Boot {

		/** @return the booted worker, or {@code null} if it is no longer needed */
		@Nullable Worker boot() throws WorkerBootException;

	}

	/** A booted worker, or why it failed to boot. */
	record Result(int slot, @Nullable Worker worker, @Nullable WorkerBootException failure) {
	}

}
