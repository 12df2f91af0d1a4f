package dev.prefork.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

import dev.prefork.process.ProcessView;

/**
 * The whole server's meters in process mode, from the process arbiter's view that every worker
 * JVM receives each second: whichever worker answers a scrape on the shared port gives the same
 * figures, per worker JVM (tag {@code worker}) and in total, and the totals never drop when a
 * worker is recycled. Per-worker meters come and go with their worker JVM.
 */
final class ProcessMeters {

	/** Reasons a worker JVM ends, registered at zero so that the first of each shows in a rate. */
	private static final List<String> EXIT_REASONS = List.of("crashed", "failed-boot", "timed-out", "recycled",
			"restarted", "scaled-down");

	private static final List<String> STATES = List.of("booting", "ready", "stopping");

	private final MeterRegistry registry;

	private volatile @Nullable ProcessView view;

	private final List<Meter> serverMeters = new ArrayList<>();

	private final Map<Integer, List<Meter>> workerMeters = new HashMap<>();

	private boolean closed;

	ProcessMeters(MeterRegistry registry) {
		this.registry = registry;
		this.serverMeters.add(PreforkMeters.PROCESS_REQUESTS
			.functionCounter(this, (meters) -> meters.total((view) -> view.totalRequests()))
			.register(registry));
		for (String reason : EXIT_REASONS) {
			this.serverMeters.add(PreforkMeters.PROCESS_EXITS
				.functionCounter(this, (meters) -> meters.total((view) -> view.exits().getOrDefault(reason, 0L)))
				.tag(PreforkMeters.TagName.REASON.asString(), reason)
				.register(registry));
		}
		for (String state : STATES) {
			this.serverMeters.add(PreforkMeters.PROCESS_WORKERS
				.gauge(this, (meters) -> meters.total(
						(view) -> view.workers().stream().filter((worker) -> worker.state().equals(state)).count()))
				.tag(PreforkMeters.TagName.STATE.asString(), state)
				.register(registry));
		}
	}

	private double total(ToDoubleFunction<ProcessView> value) {
		ProcessView current = this.view;
		return (current != null) ? value.applyAsDouble(current) : 0;
	}

	/** Takes the arbiter's latest view: per-worker meters for new worker JVMs, none for gone ones. */
	synchronized void update(ProcessView view) {
		if (this.closed) {
			return;
		}
		this.view = view;
		Set<Integer> alive = view.workers().stream().map(ProcessView.Worker::id).collect(Collectors.toSet());
		this.workerMeters.entrySet().removeIf((entry) -> {
			if (alive.contains(entry.getKey())) {
				return false;
			}
			entry.getValue().forEach(this.registry::remove);
			return true;
		});
		for (ProcessView.Worker worker : view.workers()) {
			this.workerMeters.computeIfAbsent(worker.id(), this::register);
		}
	}

	private List<Meter> register(int id) {
		String tag = Integer.toString(id);
		String key = PreforkMeters.TagName.WORKER.asString();
		return List.of(
				PreforkMeters.PROCESS_WORKER_REQUESTS.functionCounter(this, (meters) -> meters.worker(id, ProcessView.Worker::requests))
					.tag(key, tag)
					.register(this.registry),
				PreforkMeters.PROCESS_WORKER_IN_FLIGHT.gauge(this, (meters) -> meters.worker(id, ProcessView.Worker::inFlight))
					.tag(key, tag)
					.register(this.registry),
				PreforkMeters.PROCESS_WORKER_MEMORY.gauge(this, (meters) -> meters.worker(id, ProcessView.Worker::privateMemory))
					.tag(key, tag)
					.register(this.registry),
				PreforkMeters.PROCESS_WORKER_QUEUED.gauge(this, (meters) -> meters.worker(id, ProcessView.Worker::queued))
					.tag(key, tag)
					.register(this.registry),
				PreforkMeters.PROCESS_WORKER_CPU
					.functionCounter(this, (meters) -> meters.worker(id, (worker) -> worker.cpuMillis() / 1000.0))
					.tag(key, tag)
					.register(this.registry));
	}

	private double worker(int id, ToDoubleFunction<ProcessView.Worker> value) {
		ProcessView current = this.view;
		if (current == null) {
			return 0;
		}
		return current.workers().stream().filter((worker) -> worker.id() == id).findFirst()
			.map(value::applyAsDouble).orElse(0.0);
	}

	synchronized void close() {
		this.closed = true;
		this.serverMeters.forEach(this.registry::remove);
		this.workerMeters.values().forEach((meters) -> meters.forEach(this.registry::remove));
		this.workerMeters.clear();
	}

}
