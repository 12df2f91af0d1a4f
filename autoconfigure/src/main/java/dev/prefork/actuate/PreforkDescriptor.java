package dev.prefork.actuate;

import java.util.List;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;

import dev.prefork.process.ProcessView;
import dev.prefork.server.Arbiter;
import dev.prefork.server.PreforkWebServer;
import dev.prefork.server.RequestOutcomes;
import dev.prefork.server.Worker;

/**
 * Everything {@code /actuator/prefork} shows: the arbiter, totals, both queues and each worker.
 *
 * @param arbiter the arbiter's own figures
 * @param totals request figures summed over the server's life
 * @param queues requests waiting in worker queues and connections waiting in the kernel
 * @param workers one entry per worker, active ones first
 * @param managementLane the lane that serves actuator requests apart from the workers (these are
 * not counted in the totals), or {@code null}
 * @param processes in process mode, every worker JVM as the process arbiter sees it, with totals
 * that never drop when one is recycled (the fields above are those of the worker JVM that
 * answered); {@code null} in thread mode
 */
public record PreforkDescriptor(ArbiterDescriptor arbiter, TotalsDescriptor totals, QueuesDescriptor queues,
		List<WorkerDescriptor> workers, WorkerDescriptor managementLane,
		ProcessView processes) implements OperationResponseBody {

	static PreforkDescriptor of(PreforkWebServer server, PreforkEndpoint.ExceptionsExposure exposure) {
		Arbiter arbiter = server.getArbiter();
		List<Worker> workers = arbiter.getWorkers();
		List<WorkerDescriptor> descriptors = workers.stream().map((worker) -> WorkerDescriptor.of(worker, exposure)).toList();
		return new PreforkDescriptor(ArbiterDescriptor.of(arbiter, workers),
				TotalsDescriptor.of(arbiter, workers, server.getRequestOutcomes()),
				new QueuesDescriptor(workers.stream().mapToInt(Worker::getQueued).sum(), server.getAcceptQueueLength()),
				descriptors, (arbiter.getManagementLane() != null)
						? WorkerDescriptor.of(arbiter.getManagementLane(), exposure) : null,
				server.getProcessView());
	}

	/**
	 * The arbiter: how many workers it wants, has, and has replaced.
	 *
	 * @param uptimeSeconds seconds since the arbiter was created
	 * @param workers workers by state
	 * @param spawned workers booted since start
	 * @param exited workers whose threads have ended
	 * @param timedOut workers replaced by the heartbeat timeout
	 * @param recycled workers replaced gracefully (max requests, lifetime, on request)
	 * @param bootFailures workers that failed to boot
	 */
	public record ArbiterDescriptor(double uptimeSeconds, WorkerCounts workers, long spawned, long exited,
			long timedOut, long recycled, long bootFailures) {

		static ArbiterDescriptor of(Arbiter arbiter, List<Worker> workers) {
			return new ArbiterDescriptor(PreforkEndpoint.seconds(arbiter.getUptimeNanos()),
					WorkerCounts.of(arbiter.getTargetWorkers(), workers), arbiter.getSpawned(), arbiter.getExited(),
					arbiter.getTimedOut(), arbiter.getRecycled(), arbiter.getBootFailures());
		}

	}

	/**
	 * Workers by state.
	 *
	 * @param target workers the arbiter keeps running
	 * @param alive active workers (taking requests)
	 * @param busy active workers with at least one busy thread
	 * @param idle active workers with no busy thread
	 * @param draining retiring workers finishing their requests
	 */
	public record WorkerCounts(int target, int alive, int busy, int idle, int draining) {

		static WorkerCounts of(int target, List<Worker> workers) {
			int alive = 0;
			int busy = 0;
			int draining = 0;
			for (Worker worker : workers) {
				if (worker.getState() == Worker.State.ACTIVE) {
					alive++;
					busy += (worker.getBusyThreads() > 0) ? 1 : 0;
				}
				else if (worker.getState() == Worker.State.DRAINING) {
					draining++;
				}
			}
			return new WorkerCounts(target, alive, busy, alive - busy, draining);
		}

	}

	/**
	 * Request figures of the whole server.
	 *
	 * @param requests requests started by workers since the server started
	 * @param inFlight requests admitted and not yet answered
	 * @param queued requests waiting in worker queues for a thread
	 * @param rejected requests answered 503 because every worker was full
	 * @param requestTimeouts requests answered 503 after the request timeout
	 * @param clientGone requests dropped because their client left first
	 * @param exceptions exceptions that escaped handlers
	 * @param abandonedThreads threads that never came back from application code
	 */
	public record TotalsDescriptor(long requests, int inFlight, int queued, long rejected, long requestTimeouts,
			long clientGone, long exceptions, long abandonedThreads) {

		static TotalsDescriptor of(Arbiter arbiter, List<Worker> workers, RequestOutcomes outcomes) {
			return new TotalsDescriptor(arbiter.getTotalRequests(),
					workers.stream().mapToInt(Worker::getInFlight).sum(),
					workers.stream().mapToInt(Worker::getQueued).sum(), outcomes.getRejected(),
					outcomes.getRequestTimeouts(), outcomes.getClientGone(), outcomes.getRecentExceptions().total(),
					arbiter.getAbandonedThreads());
		}

	}

	/**
	 * Queue depth, twice.
	 *
	 * @param workerQueues requests waiting in worker queues for a thread
	 * @param acceptQueue connections waiting in the kernel's accept queue of the listening socket,
	 * or {@code null} where the platform cannot tell
	 */
	public record QueuesDescriptor(int workerQueues, Integer acceptQueue) {
	}

}
