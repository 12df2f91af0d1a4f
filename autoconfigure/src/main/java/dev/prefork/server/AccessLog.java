package dev.prefork.server;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Writes one line per finished request to the {@value #CATEGORY} logger at INFO, so that the
 * application's logging configuration decides where it goes (its own file, JSON, nowhere), as
 * gunicorn's {@code gunicorn.access} logger does. The server holds one only while
 * {@code prefork.access-log.enabled} is on: otherwise the request path makes no entry at all.
 * <p>
 * Lines are written synchronously on the thread that finishes the request (a worker thread, an
 * event loop, or the arbiter's); buffering, if any, is the logging backend's and bounded there.
 * A line that cannot be written is dropped, never the request.
 */
final class AccessLog {

	/** Logger category of the access log. */
	static final String CATEGORY = "dev.prefork.access";

	private static final Log fallback = LogFactory.getLog(AccessLog.class);

	private final Log logger;

	private final AccessLogFormat format;

	private final AtomicBoolean failureReported = new AtomicBoolean();

	AccessLog(AccessLogFormat format) {
		this(format, LogFactory.getLog(CATEGORY));
	}

	AccessLog(AccessLogFormat format, Log logger) {
		this.format = format;
		this.logger = logger;
	}

	/**
	 * Writes the line of one request, unless the category is off: then the entry is not even made.
	 * @param entry what to log, made here so that a failure making it is caught with the others
	 */
	void log(Supplier<AccessLogEntry> entry) {
		try {
			if (this.logger.isInfoEnabled()) {
				this.logger.info(this.format.format(entry.get()));
			}
		}
		catch (RuntimeException ex) {
			if (this.failureReported.compareAndSet(false, true)) {
				fallback.warn("Could not write an access log line; further failures are not reported", ex);
			}
		}
	}

}
