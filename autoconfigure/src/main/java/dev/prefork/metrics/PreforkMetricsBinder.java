package dev.prefork.metrics;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

import dev.prefork.server.Arbiter;
import dev.prefork.server.ArbiterListener;
import dev.prefork.server.PreforkWebServer;
import dev.prefork.server.RequestOutcomes;
import dev.prefork.server.Worker;

/**
 * Binds the {@link PreforkMeters} of one {@link PreforkWebServer} to a {@link MeterRegistry}.
 * Give it to the server's factory as an {@link ArbiterListener} before the server starts, so that
 * it registers the meters of a worker slot when a worker boots into it and removes them when the
 * slot goes away; then {@link #bindTo(PreforkWebServer) bind} it to the started server for the
 * server-wide meters. {@link #close()} removes every meter.
 */
public final class PreforkMetricsBinder implements ArbiterListener, AutoCloseable {

	private final MeterRegistry registry;

	private final Object monitor = new Object();

	private final Map<Worker.ExitReason, Counter> restarts = new EnumMap<>(Worker.ExitReason.class);

	private final Map<Integer, WorkerSlotMeters> slots = new HashMap<>();

	private final List<Meter> serverMeters = new ArrayList<>();

	private ExceptionMeters exceptionMeters;

	private @Nullable ProcessMeters processMeters;

	private PreforkWebServer server;

	private boolean closed;

	public PreforkMetricsBinder(MeterRegistry registry) {
		this.registry = registry;
		// Registered at zero so that the first restart of each kind shows in a rate; a worker that
		// stops with the server is not restarted.
		for (Worker.ExitReason reason : Worker.ExitReason.values()) {
			if (reason != Worker.ExitReason.SHUTDOWN) {
				this.restarts.put(reason, PreforkMeters.WORKER_RESTARTS.counter()
					.tag(PreforkMeters.TagName.REASON.asString(), reason.tag())
					.register(registry));
			}
		}
	}

	/**
	 * Registers the server-wide meters of the given started server, the one whose factory this
	 * binder listens to.
	 * @param server the server
	 */
	public void bindTo(PreforkWebServer server) {
		synchronized (this.monitor) {
			if (this.closed) {
				return;
			}
			if (this.server != null) {
				throw new IllegalStateException("Already bound to a server");
			}
			this.server = server;
			Arbiter arbiter = server.getArbiter();
			for (Worker.State state : Worker.State.values()) {
				this.serverMeters.add(PreforkMeters.WORKERS.gauge(arbiter, (workers) -> countWorkers(workers, state))
					.tag(PreforkMeters.TagName.STATE.asString(), PreforkMeters.stateTag(state))
					.register(this.registry));
			}
			this.serverMeters.add(PreforkMeters.WORKERS_TARGET.gauge(arbiter, Arbiter::getTargetWorkers)
				.register(this.registry));
			this.serverMeters.add(PreforkMeters.BACKLOG.gauge(server, PreforkMetricsBinder::backlog)
				.register(this.registry));
			RequestOutcomes outcomes = server.getRequestOutcomes();
			this.serverMeters.add(PreforkMeters.REJECTED.functionCounter(outcomes, RequestOutcomes::getRejected)
				.register(this.registry));
			this.serverMeters.add(PreforkMeters.TIMEOUTS.functionCounter(outcomes, RequestOutcomes::getRequestTimeouts)
				.tag(PreforkMeters.TagName.KIND.asString(), "request")
				.register(this.registry));
			this.serverMeters.add(PreforkMeters.TIMEOUTS.functionCounter(arbiter, Arbiter::getTimedOut)
				.tag(PreforkMeters.TagName.KIND.asString(), "heartbeat")
				.register(this.registry));
			this.serverMeters.add(PreforkMeters.THREADS_ABANDONED.gauge(arbiter, Arbiter::getAbandonedThreads)
				.register(this.registry));
			this.exceptionMeters = new ExceptionMeters(this.registry, outcomes.getRecentExceptions());
			if (server.isProcessWorker()) {
				ProcessMeters processMeters = new ProcessMeters(this.registry);
				this.processMeters = processMeters;
				server.addProcessViewListener(processMeters::update);
			}
		}
	}

	@Override
	public void workerBooted(Worker worker) {
		synchronized (this.monitor) {
			if (!this.closed) {
				this.slots.computeIfAbsent(worker.getId(), (slot) -> new WorkerSlotMeters(slot, this.registry))
					.booted(worker);
			}
		}
	}

	@Override
	public void workerBootFailed(int workerId, Throwable failure) {
		countRestart(Worker.ExitReason.CRASH);
	}

	@Override
	public void workerRetiring(Worker worker, Worker.ExitReason reason) {
		countRestart(reason);
	}

	@Override
	public void workerExited(Worker worker, Worker.ExitReason reason) {
		synchronized (this.monitor) {
			WorkerSlotMeters slot = this.slots.get(worker.getId());
			if (!this.closed && slot != null && slot.exited(worker) && isSlotGone(worker.getId(), reason)) {
				slot.remove();
				this.slots.remove(worker.getId());
			}
		}
	}

	/** Removes every meter this binder registered; it ignores the arbiter from then on. */
	@Override
	public void close() {
		synchronized (this.monitor) {
			if (this.closed) {
				return;
			}
			this.closed = true;
			this.slots.values().forEach(WorkerSlotMeters::remove);
			this.slots.clear();
			this.serverMeters.forEach(this.registry::remove);
			this.serverMeters.clear();
			this.restarts.values().forEach(this.registry::remove);
			if (this.exceptionMeters != null) {
				this.exceptionMeters.remove();
			}
			if (this.processMeters != null) {
				this.processMeters.close();
			}
		}
	}

	/**
	 * Whether a slot left without a live worker is gone for good, rather than waiting for a
	 * replacement that failed to boot and will be tried again.
	 */
	private boolean isSlotGone(int slot, Worker.ExitReason reason) {
		return reason == Worker.ExitReason.SCALE || reason == Worker.ExitReason.SHUTDOWN
				|| (this.server != null && slot > this.server.getArbiter().getTargetWorkers());
	}

	private void countRestart(Worker.ExitReason reason) {
		Counter counter = this.restarts.get(reason);
		if (counter != null) {
			counter.increment();
		}
	}

	private static double countWorkers(Arbiter arbiter, Worker.State state) {
		return arbiter.getWorkers().stream().filter((worker) -> worker.getState() == state).count();
	}

	private static double backlog(PreforkWebServer server) {
		Integer length = server.getAcceptQueueLength();
		return (length != null) ? length : Double.NaN;
	}

}
