package dev.prefork.faults.app;

import java.util.List;
import java.util.Map;

/**
 * The numbers of {@code GET /actuator/prefork} that the scenarios check (asked on the management
 * port, so the request asking is not among them).
 *
 * @param targetWorkers workers the arbiter wants
 * @param aliveWorkers workers alive (active ones)
 * @param drainingWorkers workers draining
 * @param spawned workers spawned since start
 * @param timedOut workers replaced by the heartbeat timeout
 * @param recycled workers recycled (max-requests, lifetime, operator, abandoned thread)
 * @param requests requests served
 * @param inFlight requests admitted and not yet ended
 * @param queued requests waiting for a worker thread
 * @param busyThreads worker threads at work, summed over the listed workers
 * @param rejected requests answered 503 for overload
 * @param requestTimeouts requests answered 503 by the request timeout
 * @param exceptions exceptions recorded
 * @param abandonedThreads threads abandoned in application code
 * @param workerStates state of every listed worker
 */
public record PreforkStatus(long targetWorkers, long aliveWorkers, long drainingWorkers, long spawned, long timedOut,
		long recycled, long requests, long inFlight, long queued, long busyThreads, long rejected, long requestTimeouts,
		long exceptions, long abandonedThreads, List<String> workerStates) {

	static PreforkStatus of(Object json) {
		List<String> states = (Json.at(json, "workers") instanceof List<?> workers)
				? workers.stream().map((worker) -> String.valueOf(Json.at(worker, "state"))).toList() : List.of();
		long busy = (Json.at(json, "workers") instanceof List<?> workers)
				? workers.stream().mapToLong((worker) -> Math.max(0, Json.longAt(worker, "threads", "active"))).sum() : -1;
		return new PreforkStatus(Json.longAt(json, "arbiter", "workers", "target"),
				Json.longAt(json, "arbiter", "workers", "alive"), Json.longAt(json, "arbiter", "workers", "draining"),
				Json.longAt(json, "arbiter", "spawned"), Json.longAt(json, "arbiter", "timedOut"),
				Json.longAt(json, "arbiter", "recycled"), Json.longAt(json, "totals", "requests"),
				Json.longAt(json, "totals", "inFlight"), Json.longAt(json, "totals", "queued"), busy,
				Json.longAt(json, "totals", "rejected"), Json.longAt(json, "totals", "requestTimeouts"),
				Json.longAt(json, "totals", "exceptions"), Json.longAt(json, "totals", "abandonedThreads"), states);
	}

	/** Whether every wanted worker is alive and active, none is draining and no request waits in a queue. */
	public boolean isSettled() {
		return this.aliveWorkers == this.targetWorkers && this.drainingWorkers == 0 && this.queued == 0
				&& this.workerStates.stream().allMatch("ACTIVE"::equals);
	}

	/** Settled, and nothing in flight or busy but the request that asked (once the load has stopped). */
	public boolean isIdle() {
		return isSettled() && this.inFlight <= 1 && this.busyThreads <= 1;
	}

	public String describe() {
		return Map.of("target", this.targetWorkers, "alive", this.aliveWorkers, "draining", this.drainingWorkers,
				"inFlight", this.inFlight, "queued", this.queued, "busyThreads", this.busyThreads)
			.toString() + " states=" + this.workerStates;
	}

}
