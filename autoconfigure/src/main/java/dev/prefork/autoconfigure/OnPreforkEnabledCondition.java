package dev.prefork.autoconfigure;

import java.util.Locale;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches unless {@code prefork.enabled} is {@code false}, and fails startup naming the property
 * when it is neither {@code true} nor {@code false}. Boot's {@code @ConditionalOnBooleanProperty}
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
		switch (value.trim().toLowerCase(Locale.ROOT)) {
			case "true":
				return ConditionOutcome.match(PROPERTY + " is true");
			case "false":
				return ConditionOutcome.noMatch(PROPERTY + " is false");
			default:
				throw new InvalidPreforkPropertyException(PROPERTY, value, "true or false");
		}
	}

}
