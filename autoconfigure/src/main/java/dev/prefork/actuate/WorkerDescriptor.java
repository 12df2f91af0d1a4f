package dev.prefork.actuate;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;

import dev.prefork.server.RecentExceptions;
import dev.prefork.server.Worker;

/**
 * One worker, as {@code /actuator/prefork} and {@code /actuator/prefork/{id}} show it.
 *
 * @param id slot number, reused by the worker that replaces this one
 * @param age spawn counter when the worker booted (gunicorn's age): higher is younger
 * @param state BOOTING, ACTIVE, DRAINING or STOPPED
 * @param exitReason why it is leaving, or {@code null} while active
 * @param startedAt when it booted
 * @param uptimeSeconds seconds since it booted
 * @param lastHeartbeat when one of its threads last started or finished a task
 * @param requests requests it started
 * @param inFlight requests it admitted and has not finished (answered and written, no thread left in them)
 * @param unanswered requests it admitted whose answer has not started
 * @param maxInFlight most requests awaiting their answer that it admits at once
 * @param streaming requests whose answer has started and is still being written
 * @param webSockets open WebSocket sessions whose handshake it admitted
 * @param threads its threads
 * @param queue its queue
 * @param outcomes its requests by how they ended
 * @param exceptions exceptions its requests raised
 * @param abandonedThreads its threads that never came back from application code
 * @param lastException the last exception it saw, or {@code null}
 */
public record WorkerDescriptor(int id, long age, String state, String exitReason, Instant startedAt,
		double uptimeSeconds, Instant lastHeartbeat, long requests, int inFlight, int unanswered, int maxInFlight,
		int streaming, int webSockets, ThreadsDescriptor threads,
		QueueDescriptor queue, Map<String, Long> outcomes, long exceptions, int abandonedThreads,
		ExceptionsDescriptor.ExceptionDescriptor lastException) implements OperationResponseBody {

	static WorkerDescriptor of(Worker worker, PreforkEndpoint.ExceptionsExposure exposure) {
		Map<String, Long> outcomes = new LinkedHashMap<>();
		for (Worker.Outcome outcome : Worker.Outcome.values()) {
			outcomes.put(outcome.name().toLowerCase(Locale.ROOT).replace('_', '-'), worker.getOutcomeCount(outcome));
		}
		RecentExceptions.Entry last = worker.getLastException();
		return new WorkerDescriptor(worker.getId(), worker.getAge(), worker.getState().name(),
				(worker.getExitReason() != null) ? worker.getExitReason().tag() : null, worker.getStartedAt(),
				Duration.between(worker.getStartedAt(), Instant.now()).toMillis() / 1000.0, worker.getLastHeartbeat(),
				worker.getRequests(), worker.getInFlight(), worker.getUnanswered(), worker.getMaxInFlight(),
				worker.getStreaming(), worker.getWebSockets(),
				new ThreadsDescriptor(worker.getBusyThreads(), worker.getExecutor().getPoolSize(), worker.getThreads(),
						worker.isVirtualThreads()),
				new QueueDescriptor(worker.getQueued(), worker.getQueueCapacity()), outcomes, worker.getExceptions(),
				worker.getAbandonedThreads(),
				(last != null) ? ExceptionsDescriptor.ExceptionDescriptor.of(last, exposure) : null);
	}

	/**
	 * A worker's threads.
	 *
	 * @param active threads running a task now
	 * @param pool threads alive in the pool
	 * @param max threads the pool is made of
	 * @param virtual whether they are virtual threads ({@code spring.threads.virtual.enabled} on
	 * Java 21 or later)
	 */
	public record ThreadsDescriptor(int active, int pool, int max, boolean virtual) {
	}

	/**
	 * A worker's queue.
	 *
	 * @param depth requests waiting for a thread
	 * @param capacity requests that may wait before new ones are refused
	 */
	public record QueueDescriptor(int depth, int capacity) {
	}

}
