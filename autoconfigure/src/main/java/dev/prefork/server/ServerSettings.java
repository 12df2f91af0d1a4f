package dev.prefork.server;

import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.function.Supplier;

import io.netty.channel.unix.FileDescriptor;
import org.jspecify.annotations.Nullable;

/**
 * Everything the engine runs with, checked once when it is built: the one place where each
 * setting's default and accepted range are written down. Values are named as the
 * {@code prefork.*} properties are, and every duration is bounded so that the engine can convert
 * it to nanoseconds anywhere without overflow.
 */
public final class ServerSettings {

	public static final int DEFAULT_THREADS = 8;

	public static final int DEFAULT_QUEUE_CAPACITY = 64;

	public static final int DEFAULT_BACKLOG = 2048;

	public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

	public static final Duration DEFAULT_GRACEFUL_TIMEOUT = Duration.ofSeconds(30);

	public static final Duration DEFAULT_KEEPALIVE = Duration.ofSeconds(15);

	public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofMinutes(5);

	public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(20);

	public static final int DEFAULT_LIMIT_REQUEST_LINE = 4094;

	public static final int DEFAULT_LIMIT_REQUEST_FIELDS = 100;

	public static final int DEFAULT_LIMIT_REQUEST_FIELD_SIZE = 8190;

	public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

	public static final int DEFAULT_EXCEPTION_CAPACITY = 100;

	public static final int DEFAULT_MANAGEMENT_THREADS = 1;

	/**
	 * gunicorn's default access-log format (the Common Log Format with referer and user agent),
	 * with the worker and the duration in microseconds at the end.
	 */
	public static final String DEFAULT_ACCESS_LOG_FORMAT = "%(h)s %(l)s %(u)s %(t)s \"%(r)s\" %(s)s %(b)s \"%(f)s\" "
			+ "\"%(a)s\" %(w)s %(D)s";

	public static final int MAX_WORKERS = 1024;

	/** Longest duration any setting takes; far below the ~292 years at which nanoseconds overflow. */
	public static final Duration MAX_DURATION = Duration.ofDays(365);

	/**
	 * Smallest bound on a whole request head's header section. The decoder buffers a head up to
	 * this bound before the per-field checks run, so it is kept near the field-size limit rather
	 * than at fields × field size (800 KB per connection with the defaults).
	 */
	static final int HEADER_SECTION_FLOOR = 64 * 1024;

	/** Smallest header section limit: a request line's worth, below which hardly any client gets in. */
	public static final int MIN_HEADER_SECTION_LIMIT = 1024;

	/** Largest header section limit: what one connection may make the decoder buffer. */
	public static final int MAX_HEADER_SECTION_LIMIT = 1024 * 1024;

	/** Longest header field line {@code limit-request-field-size} accepts. */
	public static final int MAX_LIMIT_REQUEST_FIELD_SIZE = 65_536;

	/** Requests that may wait for a management-lane thread; beyond it they get 503 like any other. */
	static final int MANAGEMENT_QUEUE_CAPACITY = 16;

	private final int workers;

	private final int threads;

	private final boolean virtualThreads;

	private final int queueCapacity;

	private final @Nullable Integer maxInFlight;

	private final int backlog;

	private final int ioThreads;

	private final Duration heartbeatTimeout;

	private final @Nullable Duration requestTimeout;

	private final Duration gracefulTimeout;

	private final long maxRequests;

	private final long maxRequestsJitter;

	private final @Nullable Duration maxWorkerLifetime;

	private final Duration keepAlive;

	private final Duration streamIdleTimeout;

	private final Duration headerTimeout;

	private final int limitRequestLine;

	private final int limitRequestFields;

	private final int limitRequestFieldSize;

	private final Duration retryAfter;

	private final int exceptionCapacity;

	private final @Nullable String managementPathPrefix;

	private final int managementThreads;

	private final Set<String> managementPaths;

	private final boolean managementServer;

	private final @Nullable Integer headerSectionLimit;

	private final @Nullable ProcessWorker processWorker;

	private final @Nullable Supplier<FileDescriptor> inheritedListener;

	private final boolean accessLogEnabled;

	private final AccessLogFormat accessLogFormat;

	private ServerSettings(Builder builder) {
		this.workers = builder.workers;
		this.threads = builder.threads;
		this.virtualThreads = builder.virtualThreads;
		this.queueCapacity = builder.queueCapacity;
		this.maxInFlight = builder.maxInFlight;
		this.backlog = builder.backlog;
		this.ioThreads = builder.ioThreads;
		this.heartbeatTimeout = builder.heartbeatTimeout;
		this.requestTimeout = builder.requestTimeout;
		this.gracefulTimeout = builder.gracefulTimeout;
		this.maxRequests = builder.maxRequests;
		this.maxRequestsJitter = builder.maxRequestsJitter;
		this.maxWorkerLifetime = builder.maxWorkerLifetime;
		this.keepAlive = builder.keepAlive;
		this.streamIdleTimeout = builder.streamIdleTimeout;
		this.headerTimeout = builder.headerTimeout;
		this.limitRequestLine = builder.limitRequestLine;
		this.limitRequestFields = builder.limitRequestFields;
		this.limitRequestFieldSize = builder.limitRequestFieldSize;
		this.retryAfter = builder.retryAfter;
		this.exceptionCapacity = builder.exceptionCapacity;
		this.managementPathPrefix = builder.managementPathPrefix;
		this.managementThreads = builder.managementThreads;
		this.managementPaths = Set.copyOf(builder.managementPaths);
		this.managementServer = builder.managementServer;
		this.headerSectionLimit = builder.headerSectionLimit;
		this.processWorker = builder.processWorker;
		this.inheritedListener = builder.inheritedListener;
		this.accessLogEnabled = builder.accessLogEnabled;
		this.accessLogFormat = builder.accessLogFormat;
	}

	static Builder builder() {
		return new Builder();
	}

	/** Workers to keep running ({@code prefork.workers}). */
	public int workers() {
		return this.workers;
	}

	public int threads() {
		return this.threads;
	}

	/**
	 * Whether workers run application code on virtual threads, still {@link #threads()} of them per
	 * worker. Follows {@code spring.threads.virtual.enabled}; the management lane stays on platform
	 * threads.
	 */
	public boolean virtualThreads() {
		return this.virtualThreads;
	}

	public int queueCapacity() {
		return this.queueCapacity;
	}

	/**
	 * Requests one worker may have admitted whose answer has not started, running, queued or
	 * waiting on something reactive ({@code prefork.max-in-flight}); unset, threads plus
	 * queue-capacity, so that a reactive request that leaves its thread holds its place as a
	 * blocking one does.
	 */
	public int maxInFlight() {
		return (this.maxInFlight != null) ? this.maxInFlight : this.threads + this.queueCapacity;
	}

	public int backlog() {
		return this.backlog;
	}

	public int ioThreads() {
		return this.ioThreads;
	}

	/** How long a worker whose threads are all busy may go without progress ({@code prefork.timeout}); 0 disables. */
	public Duration heartbeatTimeout() {
		return this.heartbeatTimeout;
	}

	/** Longest time one request may take, or {@code null} for no limit. */
	public @Nullable Duration requestTimeout() {
		return this.requestTimeout;
	}

	public Duration gracefulTimeout() {
		return this.gracefulTimeout;
	}

	/** Requests after which a worker is recycled; 0 never recycles by count. */
	public long maxRequests() {
		return this.maxRequests;
	}

	public long maxRequestsJitter() {
		return this.maxRequestsJitter;
	}

	/** Age after which a worker is recycled, or {@code null} for no limit. */
	public @Nullable Duration maxWorkerLifetime() {
		return this.maxWorkerLifetime;
	}

	/** How long an idle keep-alive connection is kept; 0 closes every connection after its response. */
	public Duration keepAlive() {
		return this.keepAlive;
	}

	/**
	 * How long a response whose answer has started (a stream) may write nothing before its
	 * connection is closed; 0 never closes one.
	 */
	public Duration streamIdleTimeout() {
		return this.streamIdleTimeout;
	}

	public Duration headerTimeout() {
		return this.headerTimeout;
	}

	public int limitRequestLine() {
		return this.limitRequestLine;
	}

	public int limitRequestFields() {
		return this.limitRequestFields;
	}

	public int limitRequestFieldSize() {
		return this.limitRequestFieldSize;
	}

	/** Retry-After sent with 503s refused for overload; 0 omits the header. */
	public Duration retryAfter() {
		return this.retryAfter;
	}

	public int exceptionCapacity() {
		return this.exceptionCapacity;
	}

	/** Requests whose path starts with it run on the management lane, or {@code null} for no lane. */
	public @Nullable String managementPathPrefix() {
		return this.managementPathPrefix;
	}

	public int managementThreads() {
		return this.managementThreads;
	}

	/** The process arbiter this JVM is a worker of, or {@code null} in thread mode. */
	public @Nullable ProcessWorker processWorker() {
		return this.processWorker;
	}

	/** A listening socket handed over to serve on instead of binding one, or {@code null}. */
	public @Nullable Supplier<FileDescriptor> inheritedListener() {
		return this.inheritedListener;
	}

	/** Whether every finished request is logged to the {@code dev.prefork.access} category. */
	public boolean accessLogEnabled() {
		return this.accessLogEnabled;
	}

	/** The access log's format, in gunicorn's notation; checked even while the log is off. */
	public String accessLogFormat() {
		return this.accessLogFormat.pattern();
	}

	/** The access log the server writes to, or {@code null} when it is off. */
	@Nullable AccessLog accessLog() {
		return this.accessLogEnabled ? new AccessLog(this.accessLogFormat) : null;
	}

	/**
	 * Bytes the decoder may buffer for one request's header section: the limit set for it (Boot's
	 * {@code server.max-http-request-header-size}), or else what the field limits allow, but never
	 * more than {@link #HEADER_SECTION_FLOOR} or four field lines of the largest size.
	 */
	int maxHeaderSectionSize() {
		if (this.headerSectionLimit != null) {
			return this.headerSectionLimit;
		}
		long lines = (long) this.limitRequestFields * (this.limitRequestFieldSize + 2);
		long bound = Math.max(HEADER_SECTION_FLOOR, 4L * (this.limitRequestFieldSize + 2));
		return (int) Math.min(lines, bound);
	}

	/**
	 * Largest header list the HTTP/2 decoder accepts for one request, advertised as
	 * SETTINGS_MAX_HEADER_LIST_SIZE; a larger one is refused {@code 431} before it is buffered in
	 * full. HPACK counts name + value + 32 octets per field, so this is what an HTTP/1.1 head within
	 * the limits may carry: the {@linkplain #maxHeaderSectionSize() section bound}, 32 for each field
	 * and for four pseudo-header fields, and the request line, which HTTP/2 sends as those.
	 */
	long http2MaxHeaderListSize() {
		if (this.headerSectionLimit != null) {
			// Boot's server.max-http-request-header-size is the header list size on Boot's
			// Netty server: taken as is, so that both protocols refuse what the setting says.
			return this.headerSectionLimit;
		}
		return maxHeaderSectionSize() + 32L * (this.limitRequestFields + 4) + this.limitRequestLine;
	}

	boolean hasManagementLane() {
		return !this.managementServer && (this.managementPathPrefix != null || !this.managementPaths.isEmpty())
				&& this.managementThreads > 0;
	}

	/** Whether this server is the actuator's own ({@code management.server.port}), not the application's. */
	public boolean managementServer() {
		return this.managementServer;
	}

	/**
	 * Prefix of the server's thread names: {@code prefork-w1-t1} serve the application,
	 * {@code prefork-mgmt-w1-t1} the management server, so a thread dump says which is which.
	 */
	String threadNamePrefix() {
		return this.managementServer ? "prefork-mgmt-" : "prefork-";
	}

	/** What the server's log lines call it, so that the management server's are told apart. */
	String displayName() {
		return this.managementServer ? "Prefork management server" : "Prefork";
	}

	/** Whether a request target (origin-form) is for the management lane. */
	boolean isManagementRequest(String uri) {
		String prefix = this.managementPathPrefix;
		if (prefix != null && uri.startsWith(prefix)) {
			if (uri.length() == prefix.length()) {
				return true;
			}
			char next = uri.charAt(prefix.length());
			if (next == '/' || next == '?') {
				return true;
			}
		}
		if (this.managementPaths.isEmpty()) {
			return false;
		}
		int query = uri.indexOf('?');
		return this.managementPaths.contains((query != -1) ? uri.substring(0, query) : uri);
	}

	/**
	 * Collects settings one by one, each checked against its range as it is set, so that a
	 * value the engine cannot use is refused naming the setting.
	 */
	static final class Builder {

		private int workers = Runtime.getRuntime().availableProcessors();

		private int threads = DEFAULT_THREADS;

		private boolean virtualThreads;

		private int queueCapacity = DEFAULT_QUEUE_CAPACITY;

		private @Nullable Integer maxInFlight;

		private int backlog = DEFAULT_BACKLOG;

		private int ioThreads = Runtime.getRuntime().availableProcessors();

		private Duration heartbeatTimeout = DEFAULT_TIMEOUT;

		private @Nullable Duration requestTimeout;

		private Duration gracefulTimeout = DEFAULT_GRACEFUL_TIMEOUT;

		private long maxRequests;

		private long maxRequestsJitter;

		private @Nullable Duration maxWorkerLifetime;

		private Duration keepAlive = DEFAULT_KEEPALIVE;

		private Duration streamIdleTimeout = DEFAULT_STREAM_IDLE_TIMEOUT;

		private Duration headerTimeout = DEFAULT_HEADER_TIMEOUT;

		private int limitRequestLine = DEFAULT_LIMIT_REQUEST_LINE;

		private int limitRequestFields = DEFAULT_LIMIT_REQUEST_FIELDS;

		private int limitRequestFieldSize = DEFAULT_LIMIT_REQUEST_FIELD_SIZE;

		private Duration retryAfter = DEFAULT_RETRY_AFTER;

		private int exceptionCapacity = DEFAULT_EXCEPTION_CAPACITY;

		private @Nullable String managementPathPrefix;

		private int managementThreads = DEFAULT_MANAGEMENT_THREADS;

		private Set<String> managementPaths = Set.of();

		private boolean managementServer;

		private @Nullable Integer headerSectionLimit;

		private @Nullable ProcessWorker processWorker;

		private @Nullable Supplier<FileDescriptor> inheritedListener;

		private boolean accessLogEnabled;

		private AccessLogFormat accessLogFormat = AccessLogFormat.parse(DEFAULT_ACCESS_LOG_FORMAT);

		private Builder() {
		}

		Builder workers(int workers) {
			this.workers = SettingRange.count("workers", workers, 1, MAX_WORKERS);
			return this;
		}

		Builder threads(int threads) {
			this.threads = SettingRange.count("threads", threads, 1, 10_000);
			return this;
		}

		Builder virtualThreads(boolean virtualThreads) {
			if (virtualThreads && !VirtualThreads.available()) {
				throw new IllegalStateException(
						"Virtual threads need Java 21 or later; this is Java " + Runtime.version().feature());
			}
			this.virtualThreads = virtualThreads;
			return this;
		}

		Builder queueCapacity(int queueCapacity) {
			this.queueCapacity = SettingRange.count("queue-capacity", queueCapacity, 0, 1_000_000);
			return this;
		}

		Builder maxInFlight(@Nullable Integer maxInFlight) {
			this.maxInFlight = (maxInFlight != null)
					? SettingRange.count("max-in-flight", maxInFlight, 1, 1_000_000) : null;
			return this;
		}

		Builder backlog(int backlog) {
			this.backlog = SettingRange.count("backlog", backlog, 1, 65_535);
			return this;
		}

		Builder ioThreads(int ioThreads) {
			this.ioThreads = SettingRange.count("io-threads", ioThreads, 1, 1024);
			return this;
		}

		Builder heartbeatTimeout(Duration timeout) {
			this.heartbeatTimeout = SettingRange.duration("timeout", timeout);
			return this;
		}

		Builder requestTimeout(@Nullable Duration requestTimeout) {
			this.requestTimeout = SettingRange.optionalDuration("request-timeout", requestTimeout);
			return this;
		}

		Builder gracefulTimeout(Duration gracefulTimeout) {
			this.gracefulTimeout = SettingRange.duration("graceful-timeout", gracefulTimeout);
			return this;
		}

		Builder maxRequests(long maxRequests) {
			this.maxRequests = SettingRange.count("max-requests", maxRequests, 0, Integer.MAX_VALUE);
			return this;
		}

		Builder maxRequestsJitter(long maxRequestsJitter) {
			this.maxRequestsJitter = SettingRange.count("max-requests-jitter", maxRequestsJitter, 0,
					Integer.MAX_VALUE);
			return this;
		}

		Builder maxWorkerLifetime(@Nullable Duration maxWorkerLifetime) {
			this.maxWorkerLifetime = SettingRange.optionalDuration("max-worker-lifetime", maxWorkerLifetime);
			return this;
		}

		Builder streamIdleTimeout(Duration streamIdleTimeout) {
			this.streamIdleTimeout = SettingRange.duration("stream-idle-timeout", streamIdleTimeout);
			return this;
		}

		Builder keepAlive(Duration keepAlive) {
			this.keepAlive = SettingRange.duration("keepalive", keepAlive);
			return this;
		}

		Builder headerTimeout(Duration headerTimeout) {
			this.headerTimeout = SettingRange.positiveDuration("header-timeout", headerTimeout);
			return this;
		}

		Builder limitRequestLine(int limitRequestLine) {
			this.limitRequestLine = SettingRange.count("limit-request-line", limitRequestLine, 16, 65_536);
			return this;
		}

		Builder limitRequestFields(int limitRequestFields) {
			this.limitRequestFields = SettingRange.count("limit-request-fields", limitRequestFields, 1, 32_768);
			return this;
		}

		Builder limitRequestFieldSize(int limitRequestFieldSize) {
			this.limitRequestFieldSize = SettingRange.count("limit-request-field-size", limitRequestFieldSize, 16,
					MAX_LIMIT_REQUEST_FIELD_SIZE);
			return this;
		}

		Builder retryAfter(Duration retryAfter) {
			this.retryAfter = SettingRange.duration("retry-after", retryAfter);
			return this;
		}

		Builder exceptionCapacity(int exceptionCapacity) {
			this.exceptionCapacity = SettingRange.count("exceptions.capacity", exceptionCapacity, 0, 10_000);
			return this;
		}

		Builder managementThreads(int managementThreads) {
			this.managementThreads = SettingRange.count("management-threads", managementThreads, 0, 64);
			return this;
		}

		Builder accessLogEnabled(boolean accessLogEnabled) {
			this.accessLogEnabled = accessLogEnabled;
			return this;
		}

		/** Parsed here, once: an unknown atom fails the build, not the first request. */
		Builder accessLogFormat(@Nullable String format) {
			this.accessLogFormat = AccessLogFormat.parse(format);
			return this;
		}

		/** A path prefix such as {@code /actuator}; {@code null}, empty or {@code /} means no lane. */
		Builder managementPathPrefix(@Nullable String prefix) {
			if (prefix != null && !prefix.startsWith("/")) {
				throw new IllegalArgumentException("'managementPathPrefix' must start with '/'");
			}
			String trimmed = (prefix != null && prefix.endsWith("/")) ? prefix.substring(0, prefix.length() - 1)
					: prefix;
			this.managementPathPrefix = (trimmed == null || trimmed.isEmpty()) ? null : trimmed;
			return this;
		}

		/**
		 * Bytes a request's whole header section may take, {@code null} to derive it from the
		 * field limits.
		 */
		Builder headerSectionLimit(@Nullable Integer headerSectionLimit) {
			this.headerSectionLimit = (headerSectionLimit != null) ? SettingRange.count(
					"header-section-limit", headerSectionLimit, MIN_HEADER_SECTION_LIMIT, MAX_HEADER_SECTION_LIMIT) : null;
			return this;
		}

		Builder inheritedListener(@Nullable Supplier<FileDescriptor> inheritedListener) {
			this.inheritedListener = inheritedListener;
			return this;
		}

		Builder processWorker(@Nullable ProcessWorker processWorker) {
			this.processWorker = processWorker;
			return this;
		}

		Builder managementServer(boolean managementServer) {
			this.managementServer = managementServer;
			return this;
		}

		/** Exact paths the lane serves too, such as Boot's {@code /livez} and {@code /readyz} on the main port. */
		Builder managementPaths(Collection<String> paths) {
			for (String path : paths) {
				if (!path.startsWith("/")) {
					throw new IllegalArgumentException("Management path '" + path + "' must start with '/'");
				}
			}
			this.managementPaths = Set.copyOf(paths);
			return this;
		}

		ServerSettings build() {
			return new ServerSettings(this);
		}

	}

}
