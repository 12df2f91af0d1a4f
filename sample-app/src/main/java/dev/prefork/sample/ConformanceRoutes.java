package dev.prefork.sample;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * For the HTTP conformance corpus: answers 200 to any method on any path, but only after reading
 * the whole request body, so that a broken body is seen before the answer is sent.
 */
@Configuration(proxyBeanMethods = false)
@Profile("conformance")
class ConformanceRoutes {

	@Bean
	RouterFunction<ServerResponse> catchAll() {
		return RouterFunctions.route(RequestPredicates.all(), (request) -> request.bodyToMono(byte[].class)
			.map((body) -> body.length)
			.defaultIfEmpty(0)
			.flatMap((length) -> ServerResponse.ok().bodyValue("read " + length + " bytes\n")));
	}

}
