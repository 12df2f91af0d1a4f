package dev.prefork.server;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The range checks of {@link ServerSettings}, each refusing a value with an
 * {@link InvalidSettingException} that names the setting and says, in words, what it accepts.
 */
final class SettingRange {

	private static final String MAX = "365d";

	private SettingRange() {
	}

	static int count(String setting, int value, int min, int max) {
		return (int) count(setting, (long) value, min, max);
	}

	static long count(String setting, long value, long min, long max) {
		if (value < min || value > max) {
			throw new InvalidSettingException(setting, value, "integers from " + min + " to " + max);
		}
		return value;
	}

	/** From zero up to {@link ServerSettings#MAX_DURATION}. */
	static Duration duration(String setting, @Nullable Duration value) {
		if (value == null || value.isNegative() || value.compareTo(ServerSettings.MAX_DURATION) > 0) {
			throw new InvalidSettingException(setting, value, "durations from 0 to " + MAX);
		}
		return value;
	}

	/** Greater than zero, up to {@link ServerSettings#MAX_DURATION}. */
	static Duration positiveDuration(String setting, @Nullable Duration value) {
		if (value == null || value.isNegative() || value.isZero()
				|| value.compareTo(ServerSettings.MAX_DURATION) > 0) {
			throw new InvalidSettingException(setting, value, "durations greater than 0, up to " + MAX);
		}
		return value;
	}

	/** Like {@link #positiveDuration}, or {@code null} for "no limit". */
	static @Nullable Duration optionalDuration(String setting, @Nullable Duration value) {
		if (value != null && (value.isNegative() || value.isZero()
				|| value.compareTo(ServerSettings.MAX_DURATION) > 0)) {
			throw new InvalidSettingException(setting, value,
					"durations greater than 0, up to " + MAX + ", or no value for no limit");
		}
		return value;
	}

}
