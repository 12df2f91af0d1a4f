package dev.prefork.server;

import org.jspecify.annotations.Nullable;

/**
 * A server setting was given a value outside the range the engine can use. The setting is
 * named as in {@code application.yml} without the {@code prefork.} prefix ({@code workers},
 * {@code graceful-timeout}), so that the auto-configuration can report the property.
 */
public class InvalidSettingException extends IllegalArgumentException {

	private final String setting;

	private final @Nullable Object value;

	private final String accepted;

	InvalidSettingException(String setting, @Nullable Object value, String accepted) {
		super("Invalid value '" + value + "' for setting '" + setting + "': accepted values are " + accepted);
		this.setting = setting;
		this.value = value;
		this.accepted = accepted;
	}

	/** The setting's name, for example {@code queue-capacity}. */
	public String getSetting() {
		return this.setting;
	}

	public @Nullable Object getValue() {
		return this.value;
	}

	/** The accepted values, in words. */
	public String getAccepted() {
		return this.accepted;
	}

}
