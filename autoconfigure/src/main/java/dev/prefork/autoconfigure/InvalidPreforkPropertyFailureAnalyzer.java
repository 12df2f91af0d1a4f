package dev.prefork.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a bad {@code prefork.*} value into a startup report that names the property and the
 * values it accepts.
 */
class InvalidPreforkPropertyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidPreforkPropertyException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidPreforkPropertyException cause) {
		String description = "Prefork cannot start: property '" + cause.getProperty() + "' is set to '"
				+ cause.getValue() + "'.";
		String action = "Set '" + cause.getProperty() + "' to one of the accepted values: " + cause.getAccepted()
				+ ".";
		return new FailureAnalysis(description, action, cause);
	}

}
