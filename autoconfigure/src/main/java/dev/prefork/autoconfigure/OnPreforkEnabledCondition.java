package dev.prefork.autoconfigure;

import java.util.Locale;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches unless {@code prefork.enabled} is {@code false}, and fails startup naming the property
 * when it is not a boolean at all. Boot's {@code @ConditionalOnBooleanProperty}
 * reads any other value ({@code maybe}, {@code yes}) as "not true" and would silently serve the
 * application with the stock server instead.
 */
class OnPreforkEnabledCondition extends SpringBootCondition {

	static final String PROPERTY = "prefork.enabled";

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		String value = context.getEnvironment().getProperty(PROPERTY);
		if (value == null) {
			return ConditionOutcome.match(PROPERTY + " is not set");
		}
		// The values Spring's own String-to-Boolean conversion accepts, which bind PreforkProperties.
		switch (value.trim().toLowerCase(Locale.ROOT)) {
			case "true", "on", "yes", "1":
				return ConditionOutcome.match(PROPERTY + " is " + value);
			case "false", "off", "no", "0":
				return ConditionOutcome.noMatch(PROPERTY + " is " + value);
			default:
				throw new InvalidPreforkPropertyException(PROPERTY, value, "true or false");
		}
	}

}
