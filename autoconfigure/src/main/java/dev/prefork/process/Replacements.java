package dev.prefork.process;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The process arbiter's rolling replacements (a restart, recycling): the workers due, oldest
 * first, replaced one at a time, each one's replacement booted and ready before it is stopped. A
 * replacement that does not get ready ends the round: the old workers keep serving, and recycling
 * waits longer after each failure in a row (a new jar that cannot boot must not cost a JVM's boot
 * every second); an operator's restart still goes ahead at once. Used on the arbiter's thread only.
 */
final class Replacements {

	/** Its lines are the arbiter's, under the arbiter's name for operators' log settings. */
	private static final Log logger = LogFactory.getLog(ProcessArbiter.class);

	private final Deque<Replacement> due = new ArrayDeque<>();

	/** The replacement booting for the head of {@link #due}. */
	private @Nullable WorkerProcess booting;

	/** Replacements in a row that failed to get ready. */
	private int failures;

	/** Recycling looks for workers due no sooner than this, after a failure. */
	private long recycleFromNanos = System.nanoTime();

	/** Whether {@code worker} is the replacement booting now, not yet one of the serving workers. */
	boolean isBooting(WorkerProcess worker) {
		return worker == this.booting;
	}

	/** Queues worker {@code id} for replacement, unless it is queued already. */
	void add(int id, String reason) {
		if (!isDue(id)) {
			this.due.addLast(new Replacement(id, reason));
		}
	}

	private boolean isDue(int id) {
		return this.due.stream().anyMatch((queued) -> queued.id() == id);
	}

	/** Queues the workers due for recycling (requests served, age, memory), one reason each. */
	void addRecyclingDue(Iterable<WorkerProcess> current, long now, long maxMemory) {
		if (now - this.recycleFromNanos < 0) {
			return;
		}
		for (WorkerProcess worker : current) {
			if (worker.state() == WorkerProcess.State.READY && worker != this.booting) {
				String reason = worker.recycleReason(now, maxMemory);
				if (reason != null && !isDue(worker.id())) {
					logger.info("Recycling " + worker + ": " + reason);
					add(worker.id(), "recycled: " + reason);
				}
			}
		}
	}

	/**
	 * One step: once the replacement booting is ready, the worker it replaces is retired; with
	 * none booting, the next one due (still there) gets its replacement spawned.
	 */
	void next(Map<Integer, WorkerProcess> current, Supplier<@Nullable WorkerProcess> spawn,
			BiConsumer<WorkerProcess, String> retire) {
		WorkerProcess replacement = this.booting;
		if (replacement != null) {
			if (replacement.state() != WorkerProcess.State.READY) {
				return;
			}
			this.booting = null;
			this.failures = 0;
			Replacement done = this.due.pollFirst();
			WorkerProcess old = (done != null) ? current.get(done.id()) : null;
			if (old != null) {
				retire.accept(old, done.reason());
			}
			if (this.due.isEmpty()) {
				logger.info("Workers replaced");
			}
			return;
		}
		while (!this.due.isEmpty() && !current.containsKey(this.due.peekFirst().id())) {
			this.due.pollFirst();
		}
		if (!this.due.isEmpty()) {
			this.booting = spawn.get();
		}
	}

	/**
	 * {@code worker} left without getting ready (it exited, or timed out): if it was the
	 * replacement booting, the round ends ({@code true}).
	 */
	boolean failedIfBooting(WorkerProcess worker, String why) {
		if (worker != this.booting) {
			return false;
		}
		this.booting = null;
		this.due.clear();
		this.failures++;
		long backoff = Math.min(ProcessArbiter.MAX_BACKOFF_MILLIS, 1000L << Math.min(15, this.failures - 1));
		this.recycleFromNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
		logger.error("Replacing workers stopped: new " + worker + " " + why + "; the old workers keep serving, "
				+ "recycling resumes in " + backoff + " ms. Its last output:\n" + String.join("\n", worker.outputTail()));
		return true;
	}

	/**
	 * A worker waiting for its replacement left on its own: the replacement booting takes its
	 * place as it is, rather than be counted on top of the one started for the gap.
	 */
	void leftOnItsOwn(WorkerProcess gone) {
		Replacement head = this.due.peekFirst();
		if (head != null && head.id() == gone.id() && this.booting != null) {
			this.due.pollFirst();
			this.booting = null;
		}
	}

	/** A worker to replace, and why (for the log line of its exit). */
	private record Replacement(int id, String reason) {
	}

}
