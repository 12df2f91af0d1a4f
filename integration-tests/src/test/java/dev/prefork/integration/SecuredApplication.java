package dev.prefork.integration;

import java.time.Duration;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.http.MediaType;
import org.springframework.http.codec.multipart.Part;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.userdetails.MapReactiveUserDetailsService;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.csrf.CsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebSession;

import dev.prefork.server.PreforkSchedulers;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;

/**
 * An ordinary secured WebFlux application, as a Prefork user would write it: Spring Security with
 * HTTP Basic (the security context in the session, or stateless with {@code test.security=stateless}),
 * CSRF on, a controller taking a {@code WebSession}, a multipart upload, functional routes, and code
 * after an asynchronous hop of its own. Every endpoint answers with the name of the thread that
 * ran it.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(SecuredApplication.ThreadController.class)
class SecuredApplication {

	static final String USER = "user";

	static final String PASSWORD = "password";

	@Bean
	SecurityWebFilterChain security(ServerHttpSecurity http, Environment environment) {
		http.authorizeExchange((exchanges) -> exchanges.pathMatchers("/secure/**", "/fn/secure")
			.authenticated()
			.anyExchange()
			.permitAll()).httpBasic(Customizer.withDefaults());
		if ("stateless".equals(environment.getProperty("test.security"))) {
			http.securityContextRepository(NoOpServerSecurityContextRepository.getInstance());
		}
		return http.build();
	}

	@Bean
	MapReactiveUserDetailsService users() {
		return new MapReactiveUserDetailsService(
				User.withUsername(USER).password("{noop}" + PASSWORD).roles("USER").build());
	}

	@Bean
	RouterFunction<ServerResponse> functionalRoutes() {
		return RouterFunctions.route(GET("/fn/thread"), (request) -> ServerResponse.ok().bodyValue(thread()))
			.andRoute(GET("/fn/secure"), (request) -> ServerResponse.ok().bodyValue(thread()))
			.andRoute(POST("/fn/echo"), (request) -> request.bodyToMono(String.class)
				.flatMap((body) -> ServerResponse.ok().bodyValue(thread() + " " + body.length())));
	}

	static String thread() {
		return Thread.currentThread().getName();
	}

	@RestController
	static class ThreadController {

		@GetMapping("/thread")
		String thread() {
			return SecuredApplication.thread();
		}

		@GetMapping("/secure/thread")
		String secureThread() {
			return SecuredApplication.thread();
		}

		@GetMapping("/secure/block")
		String secureBlock(@RequestParam long ms) throws InterruptedException {
			Thread.sleep(ms);
			return SecuredApplication.thread();
		}

		@GetMapping("/session")
		String session(WebSession session) {
			session.getAttributes().merge("visits", 1, (a, b) -> (Integer) a + (Integer) b);
			return SecuredApplication.thread();
		}

		@GetMapping("/csrf")
		Mono<String> csrf(ServerWebExchange exchange) {
			Mono<CsrfToken> token = exchange.getAttribute(CsrfToken.class.getName());
			return token.map(CsrfToken::getToken);
		}

		@PostMapping("/upload")
		String upload(@RequestPart("file") Part file) {
			return SecuredApplication.thread() + " " + file.name();
		}

		@PostMapping("/echo")
		String echo(@RequestBody String body) {
			return SecuredApplication.thread() + " " + body.length();
		}

		/** Server-sent events: the first is produced where the stream is subscribed, then a tick. */
		@GetMapping(path = "/secure/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
		Flux<String> events() {
			return Flux.concat(Flux.defer(() -> Flux.just(SecuredApplication.thread())),
					Mono.delay(Duration.ofMillis(10)).map((tick) -> "tick on " + SecuredApplication.thread()));
		}

		@GetMapping("/delay")
		Mono<String> delay() {
			return Mono.delay(Duration.ofMillis(10)).map((tick) -> SecuredApplication.thread());
		}

		@GetMapping("/delay-then-worker")
		Mono<String> delayThenWorker(ServerWebExchange exchange) {
			return Mono.delay(Duration.ofMillis(10))
				.publishOn(PreforkSchedulers.worker(exchange))
				.map((tick) -> SecuredApplication.thread());
		}

		@GetMapping("/webclient-then-worker")
		Mono<String> webClientThenWorker(ServerWebExchange exchange) {
			int port = exchange.getRequest().getLocalAddress().getPort();
			return WebClient.create("http://127.0.0.1:" + port)
				.get()
				.uri("/thread")
				.retrieve()
				.bodyToMono(String.class)
				.map((remote) -> "after client: " + SecuredApplication.thread())
				.publishOn(PreforkSchedulers.worker(exchange))
				.map((text) -> text + ", back on " + SecuredApplication.thread());
		}

	}

}
