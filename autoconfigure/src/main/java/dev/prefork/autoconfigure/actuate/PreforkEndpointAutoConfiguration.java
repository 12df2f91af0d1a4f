package dev.prefork.autoconfigure.actuate;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import dev.prefork.actuate.PreforkEndpoint;
import dev.prefork.autoconfigure.PreforkAutoConfiguration;
import dev.prefork.autoconfigure.PreforkProperties;
import dev.prefork.autoconfigure.PreforkServerHolder;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for the {@link PreforkEndpoint}
 * ({@code /actuator/prefork}). Like every endpoint it is exposed over HTTP only when the user
 * includes it in {@code management.endpoints.web.exposure.include}; its write operations also need
 * {@code management.endpoint.prefork.access=unrestricted}.
 */
@AutoConfiguration(after = PreforkAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean(PreforkServerHolder.class)
@ConditionalOnAvailableEndpoint(PreforkEndpoint.class)
public final class PreforkEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	PreforkEndpoint preforkEndpoint(PreforkServerHolder holder, PreforkProperties properties) {
		PreforkProperties.Exceptions exceptions = properties.getExceptions();
		return new PreforkEndpoint(holder::server,
				new PreforkEndpoint.ExceptionsExposure(exceptions.isIncludeMessage(), exceptions.isIncludeStackTrace()));
	}

}
