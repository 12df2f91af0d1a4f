package dev.prefork.integration;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.security.autoconfigure.actuate.web.reactive.EndpointRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.userdetails.MapReactiveUserDetailsService;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

/**
 * An application that secures its actuator the way Boot's documentation shows: every endpoint
 * ({@code EndpointRequest.toAnyEndpoint()}) needs an authenticated user, with HTTP Basic; the
 * rest of the application is public.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class SecuredActuatorApplication {

	static final String USER = "operator";

	static final String PASSWORD = "s3cret";

	@Bean
	SecurityWebFilterChain security(ServerHttpSecurity http) {
		return http
			.authorizeExchange((exchanges) -> exchanges.matchers(EndpointRequest.toAnyEndpoint())
				.authenticated()
				.anyExchange()
				.permitAll())
			.httpBasic(Customizer.withDefaults())
			.build();
	}

	@Bean
	MapReactiveUserDetailsService users() {
		return new MapReactiveUserDetailsService(
				User.withUsername(USER).password("{noop}" + PASSWORD).roles("ACTUATOR").build());
	}

	@Bean
	RouterFunction<ServerResponse> hello() {
		return RouterFunctions.route(GET("/hello"), (request) -> ServerResponse.ok().bodyValue("hello"));
	}

}
