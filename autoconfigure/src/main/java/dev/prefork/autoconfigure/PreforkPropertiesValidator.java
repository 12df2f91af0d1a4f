package dev.prefork.autoconfigure;

import java.time.Duration;

import org.springframework.boot.convert.DurationStyle;

/**
 * Checks the {@code prefork.*} properties that the auto-configuration uses itself (health). The
 * engine's own settings are checked by the engine, against the ranges in
 * {@link dev.prefork.server.ServerSettings}, so that each range is written down once.
 */
final class PreforkPropertiesValidator {

	private static final Duration MAX_WINDOW = Duration.ofDays(1);

	private PreforkPropertiesValidator() {
	}

	static void validate(PreforkProperties properties) {
		Duration window = properties.getHealth().getSaturationWindow();
		if (window == null || window.isNegative() || window.compareTo(MAX_WINDOW) > 0) {
			throw new InvalidPreforkPropertyException("prefork.health.saturation-window",
					(window != null) ? DurationStyle.SIMPLE.print(window) : null, "durations from 0 to 1d");
		}
		double threshold = properties.getHealth().getSaturationThreshold();
		if (!(threshold > 0 && threshold <= 1)) {
			throw new InvalidPreforkPropertyException("prefork.health.saturation-threshold", threshold,
					"numbers greater than 0 and at most 1");
		}
	}

}
