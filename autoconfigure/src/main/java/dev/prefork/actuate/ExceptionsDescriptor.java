package dev.prefork.actuate;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;

import dev.prefork.server.RecentExceptions;

/**
 * {@code /actuator/prefork/exceptions}: the bounded ring of recent exceptions and the counts by
 * type. Never shows request headers, bodies or query strings; messages and stack traces only as
 * configured, as they may carry user data.
 *
 * @param total exceptions seen since start
 * @param countsByType exceptions by class name
 * @param recent the most recent ones, newest first
 */
public record ExceptionsDescriptor(long total, Map<String, Long> countsByType, List<ExceptionDescriptor> recent)
		implements OperationResponseBody {

	static ExceptionsDescriptor of(RecentExceptions exceptions, PreforkEndpoint.ExceptionsExposure exposure) {
		return new ExceptionsDescriptor(exceptions.total(), exceptions.countsByType(),
				exceptions.entries().stream().map((entry) -> ExceptionDescriptor.of(entry, exposure)).toList());
	}

	/**
	 * One exception.
	 *
	 * @param time when it was recorded
	 * @param type its class name
	 * @param message its message, unless messages are switched off
	 * @param workerId the worker whose request raised it (0 if none)
	 * @param thread the thread that saw it
	 * @param method the request method
	 * @param path the request path, without the query string
	 * @param stackTrace its stack trace, only when switched on
	 */
	public record ExceptionDescriptor(Instant time, String type, String message, int workerId, String thread,
			String method, String path, String stackTrace) {

		static ExceptionDescriptor of(RecentExceptions.Entry entry, PreforkEndpoint.ExceptionsExposure exposure) {
			return new ExceptionDescriptor(entry.time(), entry.type(),
					exposure.includeMessage() ? entry.message() : null, entry.workerId(), entry.thread(),
					entry.method(), entry.path(), exposure.includeStackTrace() ? stackTrace(entry.exception()) : null);
		}

		private static String stackTrace(Throwable exception) {
			StringWriter writer = new StringWriter();
			exception.printStackTrace(new PrintWriter(writer));
			return writer.toString();
		}

	}

}
