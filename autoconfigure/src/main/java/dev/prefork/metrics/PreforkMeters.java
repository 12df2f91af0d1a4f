package dev.prefork.metrics;

import java.util.Locale;
import java.util.function.ToDoubleFunction;

import io.micrometer.common.docs.KeyName;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.docs.MeterDocumentation;

import dev.prefork.server.Worker;

/**
 * Every meter that Prefork registers, with its type, base unit, description and tags. Each
 * worker's thread pool is also bound as Micrometer's {@code executor.*} meters with the tag
 * {@code name=prefork-w<slot>}.
 */
public enum PreforkMeters implements MeterDocumentation {

	/** Workers the arbiter knows, by state. */
	WORKERS("prefork.workers", Meter.Type.GAUGE, "workers", "Workers the arbiter knows, by state", TagName.STATE),

	/** Workers the arbiter aims to keep running. */
	WORKERS_TARGET("prefork.workers.target", Meter.Type.GAUGE, "workers", "Workers the arbiter aims to keep running"),

	/** Requests the workers of a slot finished, by outcome; monotonic across worker replacements. */
	REQUESTS("prefork.requests", Meter.Type.COUNTER, "requests",
			"Requests finished by the workers of a slot, by outcome", TagName.WORKER, TagName.OUTCOME),

	/** Requests admitted by the active worker of a slot that wait for one of its threads. */
	QUEUE_DEPTH("prefork.queue.depth", Meter.Type.GAUGE, "requests",
			"Requests admitted by the active worker of a slot that wait for a thread", TagName.WORKER),

	/** Answers that have started and are still being written, by worker slot. */
	STREAMS("prefork.streams", Meter.Type.GAUGE, "streams",
			"Answers that have started and are still being written (server-sent events, downloads, WebSocket "
					+ "sessions), by the worker slot that admitted them",
			TagName.WORKER),

	/** Open WebSocket sessions, by worker slot. */
	WEBSOCKET_SESSIONS("prefork.websocket.sessions", Meter.Type.GAUGE, "sessions",
			"Open WebSocket sessions, by the worker slot that admitted their handshake", TagName.WORKER),

	/** Connections in the kernel's accept queue of the listening socket ({@code NaN} if unknown). */
	BACKLOG("prefork.backlog", Meter.Type.GAUGE, "connections",
			"Connections waiting in the kernel's accept queue, NaN where the platform cannot tell"),

	/** Requests answered 503 because every worker was full. */
	REJECTED("prefork.rejected", Meter.Type.COUNTER, "requests", "Requests answered 503 because every worker was full"),

	/** Requests that ran past the request timeout, and workers that missed their heartbeat. */
	TIMEOUTS("prefork.timeouts", Meter.Type.COUNTER, "timeouts",
			"Requests that ran past the request timeout (kind=request) and workers replaced for missing "
					+ "their heartbeat (kind=heartbeat)",
			TagName.KIND),

	/** Exceptions that escaped request handlers, by type. */
	EXCEPTIONS("prefork.exceptions", Meter.Type.COUNTER, "exceptions",
			"Exceptions that escaped request handlers, by type", TagName.EXCEPTION),

	/** Workers the arbiter retired (to replace or remove them) or that failed to boot, by reason. */
	WORKER_RESTARTS("prefork.worker.restarts", Meter.Type.COUNTER, "restarts",
			"Workers retired by the arbiter or failed to boot, by reason", TagName.REASON),

	/**
	 * Worker threads left behind since start because they never came back from application code.
	 * A gauge rather than a counter: the arbiter's total can dip for an instant while a worker exits.
	 */
	THREADS_ABANDONED("prefork.threads.abandoned", Meter.Type.GAUGE, "threads",
			"Worker threads left behind since start because they never came back from application code"),

	/** Process mode: worker JVMs the process arbiter runs, by state. */
	PROCESS_WORKERS("prefork.process.workers", Meter.Type.GAUGE, "workers",
			"Worker JVMs the process arbiter runs, by state", TagName.STATE),

	/** Process mode: requests finished by every worker JVM, recycled ones included; monotonic. */
	PROCESS_REQUESTS("prefork.process.requests", Meter.Type.COUNTER, "requests",
			"Requests finished by every worker JVM since the process arbiter started, ended ones included"),

	/** Process mode: worker JVMs that ended, by reason. */
	PROCESS_EXITS("prefork.process.exits", Meter.Type.COUNTER, "workers", "Worker JVMs that ended, by reason",
			TagName.REASON),

	/** Process mode: requests finished by one worker JVM. */
	PROCESS_WORKER_REQUESTS("prefork.process.worker.requests", Meter.Type.COUNTER, "requests",
			"Requests finished by a worker JVM", TagName.WORKER),

	/** Process mode: requests one worker JVM has admitted and not finished. */
	PROCESS_WORKER_IN_FLIGHT("prefork.process.worker.in.flight", Meter.Type.GAUGE, "requests",
			"Requests a worker JVM has admitted and not finished", TagName.WORKER),

	/** Process mode: private memory of one worker JVM (from /proc, 0 where unknown). */
	PROCESS_WORKER_MEMORY("prefork.process.worker.memory", Meter.Type.GAUGE, "bytes",
			"Private memory of a worker JVM, 0 where the platform cannot tell", TagName.WORKER),

	/** Process mode: requests waiting for a thread in one worker JVM. */
	PROCESS_WORKER_QUEUED("prefork.process.worker.queued", Meter.Type.GAUGE, "requests",
			"Requests waiting for a thread in a worker JVM", TagName.WORKER),

	/** Process mode: CPU time one worker JVM has used. */
	PROCESS_WORKER_CPU("prefork.process.worker.cpu", Meter.Type.COUNTER, "seconds",
			"CPU time (user and system) a worker JVM has used", TagName.WORKER);

	private final String name;

	private final Meter.Type type;

	private final String baseUnit;

	private final String description;

	private final KeyName[] keyNames;

	PreforkMeters(String name, Meter.Type type, String baseUnit, String description, KeyName... keyNames) {
		this.name = name;
		this.type = type;
		this.baseUnit = baseUnit;
		this.description = description;
		this.keyNames = keyNames;
	}

	@Override
	public String getName() {
		return this.name;
	}

	@Override
	public Meter.Type getType() {
		return this.type;
	}

	@Override
	public String getBaseUnit() {
		return this.baseUnit;
	}

	/** Whether the meter exists in process mode only (served from the process arbiter's view). */
	public boolean isProcessModeOnly() {
		return this.name.startsWith("prefork.process.");
	}

	/** What the meter measures, as registered with it. */
	public String getDescription() {
		return this.description;
	}

	@Override
	public KeyName[] getKeyNames() {
		return this.keyNames.clone();
	}

	<T> Gauge.Builder<T> gauge(T state, ToDoubleFunction<T> value) {
		return Gauge.builder(this.name, state, value).description(this.description).baseUnit(this.baseUnit);
	}

	<T> FunctionCounter.Builder<T> functionCounter(T state, ToDoubleFunction<T> count) {
		return FunctionCounter.builder(this.name, state, count).description(this.description).baseUnit(this.baseUnit);
	}

	Counter.Builder counter() {
		return Counter.builder(this.name).description(this.description).baseUnit(this.baseUnit);
	}

	/** The value of the {@code outcome} tag: the outcome in lower case with dashes, as {@code client-error}. */
	static String outcomeTag(Worker.Outcome outcome) {
		return outcome.name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

	/** The value of the {@code state} tag: the state in lower case, as {@code draining}. */
	static String stateTag(Worker.State state) {
		return state.name().toLowerCase(Locale.ROOT);
	}

	/** Tags of the Prefork meters. */
	public enum TagName implements KeyName {

		/** Worker state: {@code booting}, {@code active}, {@code draining} or {@code stopped}. */
		STATE("state"),

		/** Worker slot, 1-based and reused by a worker's replacement (never an ever-growing id). */
		WORKER("worker"),

		/**
		 * How a request ended: {@code success}, {@code client-error}, {@code server-error},
		 * {@code timeout}, {@code aborted} or {@code client-gone}.
		 */
		OUTCOME("outcome"),

		/** What timed out: {@code request} or {@code heartbeat}. */
		KIND("kind"),

		/**
		 * Fully qualified class name of an exception; at most {@code RecentExceptions.MAX_TYPES}
		 * values, the rest counted as {@code other}.
		 */
		EXCEPTION("exception"),

		/** Why a worker left, as {@link Worker.ExitReason#tag()}: {@code max-requests}, {@code crash}... */
		REASON("reason"),

		/**
		 * On the {@code executor.*} meters of a worker's pool: {@code virtual} or {@code platform},
		 * the kind of its threads.
		 */
		THREADS("threads");

		private final String key;

		TagName(String key) {
			this.key = key;
		}

		@Override
		public String asString() {
			return this.key;
		}

	}

}
