package dev.prefork.autoconfigure.actuate;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import dev.prefork.actuate.PreforkHealthIndicator;
import dev.prefork.autoconfigure.PreforkAutoConfiguration;
import dev.prefork.autoconfigure.PreforkServerHolder;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for the {@code prefork} health contributor:
 * DOWN when no worker is alive. Switch it off with {@code management.health.prefork.enabled=false}.
 */
@AutoConfiguration(after = PreforkAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(PreforkServerHolder.class)
@ConditionalOnEnabledHealthIndicator("prefork")
public final class PreforkHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "preforkHealthIndicator")
	PreforkHealthIndicator preforkHealthIndicator(PreforkServerHolder holder) {
		return new PreforkHealthIndicator(holder::server);
	}

}
