package dev.prefork.server;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The workers taking traffic, and the choice of one for each request: the least loaded, so
 * that no request waits in a queue while another worker has an idle thread. The array is
 * replaced (never changed in place) by the arbiter, so event loops read it without locking.
 */
final class WorkerPool {

	private static final Worker[] NONE = new Worker[0];

	private final AtomicInteger nextStart = new AtomicInteger();

	private volatile Worker[] active = NONE;

	private volatile IntConsumer capacityListener = (capacity) -> {
	};

	void publish(Worker[] slots) {
		Worker[] active = Arrays.stream(slots).filter(Objects::nonNull).toArray(Worker[]::new);
		this.active = active;
		this.capacityListener.accept(capacity(active));
	}

	/** Tells {@code listener} the requests the workers admit together, now and whenever they change. */
	void reportCapacityTo(IntConsumer listener) {
		this.capacityListener = listener;
		listener.accept(capacity(this.active));
	}

	/** Requests the workers admit at once: each up to its threads and queue, and its max-in-flight. */
	private static int capacity(Worker[] workers) {
		long capacity = 0;
		for (Worker worker : workers) {
			capacity += Worker.admitted(worker.getThreads(), worker.getQueueCapacity(), worker.getMaxInFlight());
		}
		return (int) Math.min(Integer.MAX_VALUE, capacity);
	}

	/**
	 * Runs a continuation of a request whose own worker's threads have gone on the first worker
	 * that takes it, starting from a different one each time.
	 * @return {@code false} when none does
	 */
	boolean adopt(Runnable continuation) {
		Worker[] workers = this.active;
		int start = Math.floorMod(this.nextStart.getAndIncrement(), Math.max(1, workers.length));
		for (int i = 0; i < workers.length; i++) {
			if (workers[(start + i) % workers.length].adopt(continuation)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Gives the request to the least loaded worker, or to any other with room.
	 * @return {@code false} when no worker can take it
	 */
	boolean admit(RequestTask task) {
		Worker[] workers = this.active;
		while (true) {
			if (admit(task, workers)) {
				return true;
			}
			// The arbiter publishes a replacement before the worker it replaces stops taking
			// requests: a refusal from a worker that has just begun to drain is seen together with
			// the new array, so a second look finds the replacement instead of answering 503.
			Worker[] now = this.active;
			if (now == workers) {
				return false;
			}
			workers = now;
		}
	}

	private boolean admit(RequestTask task, Worker[] workers) {
		int count = workers.length;
		if (count == 0) {
			return false;
		}
		// Start the scan at a rotating index so that ties (all idle, the common case) spread evenly.
		int start = (this.nextStart.getAndIncrement() & Integer.MAX_VALUE) % count;
		Worker best = workers[start];
		int bestLoad = best.load();
		for (int i = 1; i < count && bestLoad > 0; i++) {
			Worker candidate = workers[(start + i) % count];
			int load = candidate.load();
			if (load < bestLoad) {
				best = candidate;
				bestLoad = load;
			}
		}
		if (best.tryAdmit(task)) {
			return true;
		}
		for (Worker other : workers) {
			if (other != best && other.tryAdmit(task)) {
				return true;
			}
		}
		return false;
	}

}
