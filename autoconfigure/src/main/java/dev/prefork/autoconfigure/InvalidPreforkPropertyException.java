package dev.prefork.autoconfigure;

/**
 * A {@code prefork.*} property has a value outside the range it accepts.
 */
public class InvalidPreforkPropertyException extends RuntimeException {

	private final String property;

	private final Object value;

	private final String accepted;

	InvalidPreforkPropertyException(String property, Object value, String accepted) {
		super("Invalid value '" + value + "' for property '" + property + "': accepted values are " + accepted);
		this.property = property;
		this.value = value;
		this.accepted = accepted;
	}

	public String getProperty() {
		return this.property;
	}

	public Object getValue() {
		return this.value;
	}

	/** The accepted range, in words. */
	public String getAccepted() {
		return this.accepted;
	}

}
