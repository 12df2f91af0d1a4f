package dev.prefork.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ExecutorServiceMetrics;
import io.micrometer.core.instrument.search.Search;

import dev.prefork.server.Worker;

/**
 * The meters of one worker slot. A slot outlives its workers (a replacement boots into the slot
 * of the worker it replaces, while that one still drains), so its counters add the totals of the
 * workers that exited to the counts of every live one: they never go down across a replacement.
 * Gauges read the slot's active worker, the one taking its new requests.
 */
final class WorkerSlotMeters {

	private static final Worker.Outcome[] OUTCOMES = Worker.Outcome.values();

	private final String executorName;

	private final MeterRegistry registry;

	private final List<Meter> meters = new ArrayList<>();

	/** Workers of this slot that booted and have not exited yet, oldest first. */
	private final List<Worker> live = new ArrayList<>();

	/** Requests by outcome of the workers of this slot that exited. */
	private final long[] exitedOutcomes = new long[OUTCOMES.length];

	private Worker executorOwner;

	private List<Meter> executorMeters = List.of();

	WorkerSlotMeters(int slot, MeterRegistry registry) {
		this.executorName = "prefork-w" + slot;
		this.registry = registry;
		String worker = Integer.toString(slot);
		for (Worker.Outcome outcome : OUTCOMES) {
			this.meters.add(PreforkMeters.REQUESTS.functionCounter(this, (meters) -> meters.requests(outcome))
				.tag(PreforkMeters.TagName.WORKER.asString(), worker)
				.tag(PreforkMeters.TagName.OUTCOME.asString(), PreforkMeters.outcomeTag(outcome))
				.register(registry));
		}
		this.meters.add(PreforkMeters.QUEUE_DEPTH.gauge(this, WorkerSlotMeters::queued)
			.tag(PreforkMeters.TagName.WORKER.asString(), worker)
			.register(registry));
		this.meters.add(PreforkMeters.STREAMS.gauge(this, (meters) -> meters.sum(Worker::getStreaming))
			.tag(PreforkMeters.TagName.WORKER.asString(), worker)
			.register(registry));
		this.meters.add(PreforkMeters.WEBSOCKET_SESSIONS.gauge(this, (meters) -> meters.sum(Worker::getWebSockets))
			.tag(PreforkMeters.TagName.WORKER.asString(), worker)
			.register(registry));
	}

	/** Counts the worker in and moves the {@code executor.*} meters of the slot onto its pool. */
	synchronized void booted(Worker worker) {
		if (!this.live.contains(worker)) {
			this.live.add(worker);
		}
		unbindExecutor();
		Tags kind = Tags.of(PreforkMeters.TagName.THREADS.asString(), worker.isVirtualThreads() ? "virtual" : "platform");
		new ExecutorServiceMetrics(worker.getExecutor(), this.executorName, kind).bindTo(this.registry);
		// ExecutorServiceMetrics cannot unbind itself: find what it registered by its name tag.
		this.executorMeters = Search.in(this.registry)
			.tag("name", this.executorName)
			.meters()
			.stream()
			.filter((meter) -> meter.getId().getName().startsWith("executor"))
			.toList();
		this.executorOwner = worker;
	}

	/**
	 * Adds the worker's final counts to the slot's totals.
	 * @return whether the slot has no live worker left
	 */
	synchronized boolean exited(Worker worker) {
		if (this.live.remove(worker)) {
			for (Worker.Outcome outcome : OUTCOMES) {
				this.exitedOutcomes[outcome.ordinal()] += worker.getOutcomeCount(outcome);
			}
		}
		if (this.executorOwner == worker) {
			unbindExecutor();
		}
		return this.live.isEmpty();
	}

	/** Removes every meter of the slot. */
	synchronized void remove() {
		this.meters.forEach(this.registry::remove);
		this.meters.clear();
		unbindExecutor();
	}

	private void unbindExecutor() {
		this.executorMeters.forEach(this.registry::remove);
		this.executorMeters = List.of();
		this.executorOwner = null;
	}

	private synchronized double requests(Worker.Outcome outcome) {
		long total = this.exitedOutcomes[outcome.ordinal()];
		for (Worker worker : this.live) {
			total += worker.getOutcomeCount(outcome);
		}
		return total;
	}

	/** Over every live worker of the slot: a retiring one still carries its streams. */
	private synchronized double sum(ToIntFunction<Worker> count) {
		return this.live.stream().mapToInt(count).sum();
	}

	private synchronized double queued() {
		for (int i = this.live.size() - 1; i >= 0; i--) {
			Worker worker = this.live.get(i);
			if (worker.getState() == Worker.State.ACTIVE) {
				return worker.getQueued();
			}
		}
		return 0;
	}

}
