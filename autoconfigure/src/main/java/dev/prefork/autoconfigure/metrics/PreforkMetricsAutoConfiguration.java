package dev.prefork.autoconfigure.metrics;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;

import dev.prefork.autoconfigure.PreforkAutoConfiguration;
import dev.prefork.metrics.PreforkMeters;
import dev.prefork.server.PreforkReactiveWebServerFactory;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for the {@link PreforkMeters Prefork meters}
 * of the application's server, when it is a Prefork server and the application has a
 * {@link MeterRegistry}.
 */
@AutoConfiguration(after = PreforkAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration" })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({ MeterRegistry.class, PreforkReactiveWebServerFactory.class })
public final class PreforkMetricsAutoConfiguration {

	@Bean
	PreforkMetricsBinding preforkMetricsBinding(MeterRegistry meterRegistry) {
		return new PreforkMetricsBinding(meterRegistry);
	}

	@Bean
	WebServerFactoryCustomizer<PreforkReactiveWebServerFactory> preforkMetricsWebServerFactoryCustomizer(
			PreforkMetricsBinding binding) {
		return (factory) -> factory.addArbiterListeners(binding.binder());
	}

}
