package dev.prefork.autoconfigure;

import java.io.File;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Prefork's settings, bound from {@code prefork.*}. Names follow gunicorn's settings where one
 * exists, so that {@code workers: 4} means what a gunicorn user expects it to mean.
 */
@ConfigurationProperties("prefork")
public class PreforkProperties {

	/**
	 * Whether Prefork serves the application; false gives Boot's stock reactor-netty server.
	 */
	private boolean enabled = true;

	/**
	 * How workers run: as thread pools in this JVM, or as worker JVMs started and supervised by an
	 * arbiter process (Linux only).
	 */
	private Mode mode = Mode.THREADS;

	/**
	 * Number of workers, each with its own thread pool (a JVM of its own in process mode);
	 * defaults to the number of available processors.
	 */
	private int workers = Runtime.getRuntime().availableProcessors();

	/**
	 * Threads per worker that run application code, blocking code included.
	 */
	private int threads = 8;

	/**
	 * Requests that may wait in one worker's queue for a free thread; beyond it requests get 503.
	 */
	private int queueCapacity = 64;

	/**
	 * Requests one worker may have admitted whose answer has not started (running, queued, or
	 * waiting on something reactive); beyond it requests get 503. Defaults to threads plus
	 * queue-capacity.
	 */
	private Integer maxInFlight;

	/**
	 * Pending connections the kernel may hold for the listening socket.
	 */
	private int backlog = 2048;

	/**
	 * Event-loop threads doing network I/O (never application code); defaults to the number of available processors.
	 */
	private int ioThreads = Runtime.getRuntime().availableProcessors();

	/**
	 * Time a worker whose threads are all busy may go without progress before it is replaced; 0 disables.
	 */
	private Duration timeout = Duration.ofSeconds(30);

	/**
	 * Longest time one request may take, queueing included, before it is interrupted and answered 503; unset for no limit.
	 */
	private Duration requestTimeout;

	/**
	 * Time a retiring worker, or a timed-out request's thread, gets to finish before it is stopped by force.
	 */
	private Duration gracefulTimeout = Duration.ofSeconds(30);

	/**
	 * Requests a worker serves before it is recycled; 0 disables recycling by count.
	 */
	private long maxRequests = 0;

	/**
	 * Upper bound of a random number added to max-requests per worker, so that workers do not recycle together.
	 */
	private long maxRequestsJitter = 0;

	/**
	 * Age after which a worker is recycled; unset for no limit.
	 */
	private Duration maxWorkerLifetime;

	/**
	 * Time an idle connection is kept open waiting for the next request; 0 disables keep-alive, as in
	 * gunicorn (each response closes its connection, and a silent connection is closed after
	 * header-timeout).
	 */
	private Duration keepalive = Duration.ofSeconds(15);

	/**
	 * Time a response whose answer has started (a stream, a download) may go without producing
	 * anything and without the socket taking anything, before its connection is closed; 0 never
	 * closes one.
	 */
	private Duration streamIdleTimeout = Duration.ofMinutes(5);

	/**
	 * Time a client may take to send a complete request head once it started one; slower clients get 408
	 * (on HTTP/2, the first request's HEADERS, counted from connecting, or the connection is closed).
	 */
	private Duration headerTimeout = Duration.ofSeconds(20);

	/**
	 * Longest request line accepted, in bytes; longer ones get 414.
	 */
	private int limitRequestLine = 4094;

	/**
	 * Most header fields accepted in one request, HTTP/2 streams included; more get 431.
	 */
	private int limitRequestFields = 100;

	/**
	 * Longest header field line accepted, in bytes, HTTP/2 streams included; longer ones get 431.
	 */
	private int limitRequestFieldSize = 8190;

	/**
	 * Value of the Retry-After header sent with 503 responses to requests refused for overload; 0
	 * omits it.
	 */
	private Duration retryAfter = Duration.ofSeconds(1);

	/**
	 * Threads of the management lane, which serves actuator requests (probes included) apart from
	 * the workers, so that they are answered when every worker is saturated; 0 serves them on the
	 * workers. With a management port of its own, threads of the management server's one worker
	 * (at least 1).
	 */
	private int managementThreads = 1;

	/**
	 * Value of the Server header sent with every response; unset sends none. Boot's own
	 * server.server-header does not reach a reactive server.
	 */
	private String serverHeader;

	private final Exceptions exceptions = new Exceptions();

	private final Signals signals = new Signals();

	private final Health health = new Health();

	private final AccessLog accessLog = new AccessLog();

	private final Process process = new Process();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Mode getMode() {
		return this.mode;
	}

	public void setMode(Mode mode) {
		this.mode = mode;
	}

	public int getWorkers() {
		return this.workers;
	}

	public void setWorkers(int workers) {
		this.workers = workers;
	}

	public int getThreads() {
		return this.threads;
	}

	public void setThreads(int threads) {
		this.threads = threads;
	}

	public int getQueueCapacity() {
		return this.queueCapacity;
	}

	public void setQueueCapacity(int queueCapacity) {
		this.queueCapacity = queueCapacity;
	}

	public Integer getMaxInFlight() {
		return this.maxInFlight;
	}

	public void setMaxInFlight(Integer maxInFlight) {
		this.maxInFlight = maxInFlight;
	}

	public int getBacklog() {
		return this.backlog;
	}

	public void setBacklog(int backlog) {
		this.backlog = backlog;
	}

	public int getIoThreads() {
		return this.ioThreads;
	}

	public void setIoThreads(int ioThreads) {
		this.ioThreads = ioThreads;
	}

	public Duration getTimeout() {
		return this.timeout;
	}

	public void setTimeout(Duration timeout) {
		this.timeout = timeout;
	}

	public Duration getRequestTimeout() {
		return this.requestTimeout;
	}

	public void setRequestTimeout(Duration requestTimeout) {
		this.requestTimeout = requestTimeout;
	}

	public Duration getGracefulTimeout() {
		return this.gracefulTimeout;
	}

	public void setGracefulTimeout(Duration gracefulTimeout) {
		this.gracefulTimeout = gracefulTimeout;
	}

	public long getMaxRequests() {
		return this.maxRequests;
	}

	public void setMaxRequests(long maxRequests) {
		this.maxRequests = maxRequests;
	}

	public long getMaxRequestsJitter() {
		return this.maxRequestsJitter;
	}

	public void setMaxRequestsJitter(long maxRequestsJitter) {
		this.maxRequestsJitter = maxRequestsJitter;
	}

	public Duration getMaxWorkerLifetime() {
		return this.maxWorkerLifetime;
	}

	public void setMaxWorkerLifetime(Duration maxWorkerLifetime) {
		this.maxWorkerLifetime = maxWorkerLifetime;
	}

	public Duration getKeepalive() {
		return this.keepalive;
	}

	public void setKeepalive(Duration keepalive) {
		this.keepalive = keepalive;
	}

	public Duration getStreamIdleTimeout() {
		return this.streamIdleTimeout;
	}

	public void setStreamIdleTimeout(Duration streamIdleTimeout) {
		this.streamIdleTimeout = streamIdleTimeout;
	}

	public Duration getHeaderTimeout() {
		return this.headerTimeout;
	}

	public void setHeaderTimeout(Duration headerTimeout) {
		this.headerTimeout = headerTimeout;
	}

	public int getLimitRequestLine() {
		return this.limitRequestLine;
	}

	public void setLimitRequestLine(int limitRequestLine) {
		this.limitRequestLine = limitRequestLine;
	}

	public int getLimitRequestFields() {
		return this.limitRequestFields;
	}

	public void setLimitRequestFields(int limitRequestFields) {
		this.limitRequestFields = limitRequestFields;
	}

	public int getLimitRequestFieldSize() {
		return this.limitRequestFieldSize;
	}

	public void setLimitRequestFieldSize(int limitRequestFieldSize) {
		this.limitRequestFieldSize = limitRequestFieldSize;
	}

	public Duration getRetryAfter() {
		return this.retryAfter;
	}

	public void setRetryAfter(Duration retryAfter) {
		this.retryAfter = retryAfter;
	}

	public int getManagementThreads() {
		return this.managementThreads;
	}

	public void setManagementThreads(int managementThreads) {
		this.managementThreads = managementThreads;
	}

	public String getServerHeader() {
		return this.serverHeader;
	}

	public void setServerHeader(String serverHeader) {
		this.serverHeader = serverHeader;
	}

	public Exceptions getExceptions() {
		return this.exceptions;
	}

	public Signals getSignals() {
		return this.signals;
	}

	public Health getHealth() {
		return this.health;
	}

	public AccessLog getAccessLog() {
		return this.accessLog;
	}

	/**
	 * What is kept of exceptions that escape request handlers.
	 */
	/**
	 * How workers run.
	 */
	public enum Mode {

		/** Workers are thread pools in this JVM. */
		THREADS,

		/**
		 * Workers are JVMs of their own, started by this process, which becomes their arbiter and
		 * runs none of the application's beans.
		 */
		PROCESSES

	}

	public Process getProcess() {
		return this.process;
	}

	/**
	 * Process mode only.
	 */
	public static class Process {

		/**
		 * Private memory (from /proc) over which a worker JVM is recycled, its replacement ready
		 * first; unset for no limit.
		 */
		private DataSize maxMemory;

		public DataSize getMaxMemory() {
			return this.maxMemory;
		}

		public void setMaxMemory(DataSize maxMemory) {
			this.maxMemory = maxMemory;
		}

		/**
		 * Directory where the arbiter extracts the application's jar and trains a CDS archive
		 * for it, once per jar, so that worker JVMs start with less CPU and less private memory
		 * (Spring Boot's CDS recipe as one setting); unset to run the jar as it is.
		 */
		private File cdsDirectory;

		public File getCdsDirectory() {
			return this.cdsDirectory;
		}

		public void setCdsDirectory(File cdsDirectory) {
			this.cdsDirectory = cdsDirectory;
		}

	}

	public static class Exceptions {

		/**
		 * Recent exceptions kept in memory for the actuator endpoint; 0 keeps none (they are still counted).
		 */
		private int capacity = 100;

		/**
		 * Whether the actuator endpoint shows exception messages (they may carry user data).
		 */
		private boolean includeMessage = true;

		/**
		 * Whether the actuator endpoint shows stack traces.
		 */
		private boolean includeStackTrace = false;

		public int getCapacity() {
			return this.capacity;
		}

		public void setCapacity(int capacity) {
			this.capacity = capacity;
		}

		public boolean isIncludeMessage() {
			return this.includeMessage;
		}

		public void setIncludeMessage(boolean includeMessage) {
			this.includeMessage = includeMessage;
		}

		public boolean isIncludeStackTrace() {
			return this.includeStackTrace;
		}

		public void setIncludeStackTrace(boolean includeStackTrace) {
			this.includeStackTrace = includeStackTrace;
		}

	}

	/**
	 * gunicorn's signals, where the JVM lets an application handle them.
	 */
	public static class Signals {

		/**
		 * Whether SIGTTIN adds a worker, SIGTTOU removes one and SIGHUP recycles all (SIGHUP then
		 * no longer triggers JVM shutdown).
		 */
		private boolean enabled = false;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

	/**
	 * gunicorn's access log: one line per finished request, engine refusals included.
	 */
	public static class AccessLog {

		/**
		 * Whether every finished request is logged, one line each, to the 'dev.prefork.access'
		 * logger category at INFO.
		 */
		private boolean enabled = false;

		/**
		 * Format of each line, in gunicorn's notation: atoms such as %(h)s, %(t)s, %(r)s (never
		 * with the query string, which is %(q)s), %(s)s, %(b)s, %(w)s for the worker and %(D)s for
		 * the duration in microseconds.
		 */
		private String format = "%(h)s %(l)s %(u)s %(t)s \"%(r)s\" %(s)s %(b)s \"%(f)s\" \"%(a)s\" %(w)s %(D)s";

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public String getFormat() {
			return this.format;
		}

		public void setFormat(String format) {
			this.format = format;
		}

	}

	/**
	 * Health and readiness.
	 */
	public static class Health {

		/**
		 * Whether sustained saturation marks the application as refusing traffic (Kubernetes
		 * readiness) until it drains.
		 */
		private boolean saturationReadiness = false;

		/**
		 * Saturation (busy threads plus queued requests over threads plus queue capacity, 0 to 1)
		 * at which the application counts as saturated.
		 */
		private double saturationThreshold = 0.95;

		/**
		 * How long saturation must last before readiness is refused, and how long it must be gone
		 * before it is accepted again.
		 */
		private Duration saturationWindow = Duration.ofSeconds(5);

		public boolean isSaturationReadiness() {
			return this.saturationReadiness;
		}

		public void setSaturationReadiness(boolean saturationReadiness) {
			this.saturationReadiness = saturationReadiness;
		}

		public double getSaturationThreshold() {
			return this.saturationThreshold;
		}

		public void setSaturationThreshold(double saturationThreshold) {
			this.saturationThreshold = saturationThreshold;
		}

		public Duration getSaturationWindow() {
			return this.saturationWindow;
		}

		public void setSaturationWindow(Duration saturationWindow) {
			this.saturationWindow = saturationWindow;
		}

	}

}
