package dev.prefork.actuate;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

import dev.prefork.process.ProcessArbiter;
import dev.prefork.process.ProcessView;
import dev.prefork.server.Arbiter;
import dev.prefork.server.PreforkWebServer;
import dev.prefork.server.ServerSettings;
import dev.prefork.server.Worker;

/**
 * {@link Endpoint @Endpoint} that shows the arbiter, its workers and the recent exceptions, and
 * steers the workers the way gunicorn's signals do: scale (TTIN/TTOU) and recycle (HUP). Reads
 * are allowed by default; the write operations need access granted explicitly
 * ({@code management.endpoint.prefork.access=unrestricted}).
 */
@Endpoint(id = "prefork", defaultAccess = Access.READ_ONLY)
public class PreforkEndpoint {

	/** Selector that addresses the exceptions ring instead of a worker. */
	public static final String EXCEPTIONS = "exceptions";

	/** Selector that addresses every worker at once (for recycling). */
	public static final String ALL = "all";

	private final Supplier<PreforkWebServer> server;

	private final ExceptionsExposure exposure;

	public PreforkEndpoint(Supplier<PreforkWebServer> server, ExceptionsExposure exposure) {
		this.server = server;
		this.exposure = exposure;
	}

	@ReadOperation
	public @Nullable PreforkDescriptor prefork() {
		PreforkWebServer server = this.server.get();
		return (server != null) ? PreforkDescriptor.of(server, this.exposure) : null;
	}

	/**
	 * One worker by slot number, or the exceptions ring for {@code exceptions}; {@code null} (404)
	 * when there is no such worker.
	 */
	@ReadOperation
	public @Nullable Object workerOrExceptions(@Selector String selector) {
		PreforkWebServer server = this.server.get();
		if (server == null) {
			return null;
		}
		if (EXCEPTIONS.equals(selector)) {
			return ExceptionsDescriptor.of(server.getRequestOutcomes().getRecentExceptions(), this.exposure);
		}
		Integer id = parseId(selector);
		if (id == null) {
			return null;
		}
		List<Worker> workers = server.getArbiter().getWorkers();
		return workers.stream()
			.filter((worker) -> worker.getId() == id && worker.getState() == Worker.State.ACTIVE)
			.findFirst()
			.or(() -> workers.stream().filter((worker) -> worker.getId() == id).findFirst())
			.map((worker) -> WorkerDescriptor.of(worker, this.exposure))
			.orElse(null);
	}

	/**
	 * Sets the number of workers ({@code workers}), or changes it by {@code change} (+1 is
	 * gunicorn's TTIN, -1 its TTOU).
	 */
	@WriteOperation
	public @Nullable ScaleDescriptor scale(@Nullable Integer workers, @Nullable Integer change) {
		PreforkWebServer server = this.server.get();
		if (server == null) {
			return null;
		}
		if (server.isProcessWorker()) {
			return scaleProcesses(server, workers, change);
		}
		Arbiter arbiter = server.getArbiter();
		int from = arbiter.getTargetWorkers();
		long to = (workers != null) ? workers : (long) from + ((change != null) ? change : 0);
		if (to < 1 || to > ServerSettings.MAX_WORKERS) {
			throw new InvalidEndpointRequestException("Cannot scale to " + to + " workers",
					"workers must be from 1 to " + ServerSettings.MAX_WORKERS);
		}
		if (workers != null) {
			arbiter.scale(workers);
		}
		else if (change != null) {
			arbiter.scaleBy(change);
		}
		return new ScaleDescriptor(from, (int) to);
	}

	/**
	 * Recycles one worker, or all of them one by one with {@code all} (gunicorn's HUP); an unknown
	 * worker is a bad request (400).
	 */
	@WriteOperation
	public @Nullable RecycleDescriptor recycle(@Selector String selector) {
		PreforkWebServer server = this.server.get();
		if (server == null) {
			return null;
		}
		if (server.isProcessWorker()) {
			return recycleProcesses(server, selector);
		}
		Arbiter arbiter = server.getArbiter();
		if (ALL.equals(selector)) {
			arbiter.recycleAll();
			return new RecycleDescriptor(arbiter.getWorkers()
				.stream()
				.filter((worker) -> worker.getState() == Worker.State.ACTIVE)
				.map(Worker::getId)
				.toList());
		}
		Integer id = parseId(selector);
		if (id == null || arbiter.getWorkers().stream().noneMatch((worker) -> worker.getId() == id)) {
			throw new InvalidEndpointRequestException("No worker '" + selector + "' to recycle",
					"worker must be a worker id or 'all'");
		}
		arbiter.recycle(id);
		return new RecycleDescriptor(List.of(id));
	}

	/** Process mode: the worker JVMs, scaled by their arbiter, which this worker asks. */
	private static @Nullable ScaleDescriptor scaleProcesses(PreforkWebServer server, @Nullable Integer workers,
			@Nullable Integer change) {
		ProcessView view = server.getProcessView();
		if (view == null) {
			return null;
		}
		long to = (workers != null) ? workers : (long) view.target() + ((change != null) ? change : 0);
		if (to < 1 || to > ProcessArbiter.MAX_WORKERS) {
			throw new InvalidEndpointRequestException("Cannot scale to " + to + " worker processes",
					"workers must be from 1 to " + ProcessArbiter.MAX_WORKERS);
		}
		// A change is applied by the arbiter to its target as it is then, which a signal may have
		// changed since the view was sent.
		server.askProcessArbiter((workers != null) ? "scale " + to : "scale-by " + ((change != null) ? change : 0));
		return new ScaleDescriptor(view.target(), (int) to);
	}

	/** Process mode: worker JVMs replaced by their arbiter, each replacement ready first. */
	private static @Nullable RecycleDescriptor recycleProcesses(PreforkWebServer server, String selector) {
		ProcessView view = server.getProcessView();
		if (view == null) {
			return null;
		}
		List<Integer> ids = view.workers().stream().map(ProcessView.Worker::id).toList();
		if (ALL.equals(selector)) {
			server.askProcessArbiter("restart");
			return new RecycleDescriptor(ids);
		}
		Integer id = parseId(selector);
		if (id == null || !ids.contains(id)) {
			throw new InvalidEndpointRequestException("No worker process '" + selector + "' to recycle",
					"worker must be a worker process id or 'all'");
		}
		server.askProcessArbiter("recycle " + id);
		return new RecycleDescriptor(List.of(id));
	}

	private static Integer parseId(String selector) {
		try {
			return Integer.valueOf(selector);
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

	/** How much of an exception the endpoint shows (messages and stack traces may carry user data). */
	public record ExceptionsExposure(boolean includeMessage, boolean includeStackTrace) {
	}

	/** What a scale request changed. */
	public record ScaleDescriptor(int previousWorkers, int workers) {
	}

	/** The workers a recycle request is replacing, one by one. */
	public record RecycleDescriptor(List<Integer> recycling) {
	}

	static double seconds(long nanos) {
		return Duration.ofNanos(nanos).toMillis() / 1000.0;
	}

}
