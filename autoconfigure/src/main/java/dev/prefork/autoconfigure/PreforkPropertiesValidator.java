package dev.prefork.autoconfigure;

import java.time.Duration;

import org.springframework.boot.convert.DurationStyle;

/**
 * Checks bound {@link PreforkProperties} before the server is built, so that a bad value fails
 * startup with the property's name and accepted range instead of a stack trace from the engine.
 */
final class PreforkPropertiesValidator {

	private static final String PREFIX = "prefork.";

	private PreforkPropertiesValidator() {
	}

	static void validate(PreforkProperties properties) {
		atLeast("workers", properties.getWorkers(), 1, 1024);
		atLeast("threads", properties.getThreads(), 1, 10_000);
		atLeast("queue-capacity", properties.getQueueCapacity(), 0, 1_000_000);
		atLeast("backlog", properties.getBacklog(), 1, 65_535);
		atLeast("io-threads", properties.getIoThreads(), 1, 1024);
		atLeast("max-requests", properties.getMaxRequests(), 0, Long.MAX_VALUE);
		atLeast("max-requests-jitter", properties.getMaxRequestsJitter(), 0, Long.MAX_VALUE);
		atLeast("limit-request-line", properties.getLimitRequestLine(), 16, 65_536);
		atLeast("limit-request-fields", properties.getLimitRequestFields(), 1, 32_768);
		atLeast("limit-request-field-size", properties.getLimitRequestFieldSize(), 16, 65_536);
		atLeast("management-threads", properties.getManagementThreads(), 0, 64);
		atLeast("exceptions.capacity", properties.getExceptions().getCapacity(), 0, 10_000);
		required("timeout", properties.getTimeout(), false);
		optional("request-timeout", properties.getRequestTimeout());
		required("graceful-timeout", properties.getGracefulTimeout(), false);
		optional("max-worker-lifetime", properties.getMaxWorkerLifetime());
		required("keepalive", properties.getKeepalive(), false);
		required("header-timeout", properties.getHeaderTimeout(), true);
		required("retry-after", properties.getRetryAfter(), false);
		required("health.saturation-window", properties.getHealth().getSaturationWindow(), false);
		double threshold = properties.getHealth().getSaturationThreshold();
		if (!(threshold > 0 && threshold <= 1)) {
			throw new InvalidPreforkPropertyException(PREFIX + "health.saturation-threshold", threshold,
					"numbers greater than 0 and at most 1");
		}
	}

	private static void atLeast(String name, long value, long min, long max) {
		if (value < min || value > max) {
			String range = (max == Long.MAX_VALUE) ? "integers from " + min + " up"
					: "integers from " + min + " to " + max;
			throw new InvalidPreforkPropertyException(PREFIX + name, value, range);
		}
	}

	private static void required(String name, Duration value, boolean positive) {
		if (value == null || value.isNegative() || (positive && value.isZero())) {
			throw new InvalidPreforkPropertyException(PREFIX + name, print(value),
					positive ? "durations greater than zero" : "durations of zero or more");
		}
	}

	/** Shows a duration the way it is written in application.yml ({@code -1s}), not as {@code PT-1S}. */
	private static String print(Duration value) {
		return (value != null) ? DurationStyle.SIMPLE.print(value) : null;
	}

	private static void optional(String name, Duration value) {
		if (value != null && (value.isNegative() || value.isZero())) {
			throw new InvalidPreforkPropertyException(PREFIX + name, print(value),
					"durations greater than zero, or no value to disable it");
		}
	}

}
