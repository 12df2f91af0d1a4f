package dev.prefork.integration;

import java.util.Map;

import reactor.core.publisher.Mono;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.WebSocketHandler;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

/**
 * A WebFlux application with WebSocket endpoints, as a user would write them: {@code /echo}
 * answers every message with the name of the thread that handled it, {@code /slow} blocks for the
 * number of milliseconds each message says before it answers.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class WebSocketApplication {

	@Bean
	HandlerMapping webSocketMapping() {
		WebSocketHandler echo = (session) -> session.send(session.receive()
			.map((message) -> session.textMessage(message.getPayloadAsText() + " on " + Thread.currentThread().getName())));
		WebSocketHandler slow = (session) -> session.send(session.receive().map((message) -> {
			long millis = Long.parseLong(message.getPayloadAsText());
			try {
				Thread.sleep(millis);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return session.textMessage("slept " + millis + " on " + Thread.currentThread().getName());
		}));
		return new SimpleUrlHandlerMapping(Map.of("/echo", echo, "/slow", slow), -1);
	}

	/** Spring Security is on the class path, as in many applications: these endpoints are open. */
	@Bean
	SecurityWebFilterChain openToEveryone(ServerHttpSecurity http) {
		return http.authorizeExchange((exchanges) -> exchanges.anyExchange().permitAll()).build();
	}

	@Bean
	RouterFunction<ServerResponse> hello() {
		return RouterFunctions.route(GET("/hello"), (request) -> ServerResponse.ok().body(Mono.just("hello"), String.class));
	}

}
