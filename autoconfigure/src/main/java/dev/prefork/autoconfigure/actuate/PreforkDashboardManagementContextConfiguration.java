package dev.prefork.autoconfigure.actuate;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.context.annotation.Bean;
import org.springframework.util.Assert;
import org.springframework.web.reactive.function.server.support.RouterFunctionMapping;

import dev.prefork.actuate.PreforkEndpoint;
import dev.prefork.actuate.dashboard.PreforkDashboard;

/**
 * {@link ManagementContextConfiguration @ManagementContextConfiguration} for the live dashboard at
 * {@code <base path>/prefork/dashboard}: wherever the actuator's endpoints are served (the main
 * server, or a management server of their own with {@code management.server.port}), and only
 * while the {@code prefork} endpoint is available over HTTP (accessible and exposed). Spring
 * Security's {@code EndpointRequest} matchers cover it, since they match the endpoint's sub-paths.
 */
@ManagementContextConfiguration(value = ManagementContextType.ANY, proxyBeanMethods = false)
@ConditionalOnWebApplication(type = Type.REACTIVE)
@ConditionalOnClass(RouterFunctionMapping.class)
@ConditionalOnBean({ PreforkEndpoint.class, PathMappedEndpoints.class })
@ConditionalOnAvailableEndpoint(endpoint = PreforkEndpoint.class, exposure = EndpointExposure.WEB)
public final class PreforkDashboardManagementContextConfiguration {

	/**
	 * Before Boot's endpoint mapping (order -100), whose {@code @Selector} operation would
	 * otherwise take {@code /prefork/dashboard} for a worker named "dashboard".
	 */
	static final int ORDER = -101;

	@Bean
	RouterFunctionMapping preforkDashboardHandlerMapping(PathMappedEndpoints endpoints) {
		String endpointPath = endpoints.getPath(EndpointId.of("prefork"));
		Assert.state(endpointPath != null, "The prefork endpoint is available but has no web path");
		RouterFunctionMapping mapping = new RouterFunctionMapping(new PreforkDashboard().routes(endpointPath));
		mapping.setOrder(ORDER);
		return mapping;
	}

}
