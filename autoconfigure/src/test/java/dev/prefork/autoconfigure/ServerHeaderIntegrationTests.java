package dev.prefork.autoconfigure;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

/**
 * {@code prefork.server-header} in a full application: every response carries it; unset, none
 * does, and Boot's {@code server.server-header}, which Boot never passes to a reactive server,
 * changes nothing.
 */
class ServerHeaderIntegrationTests {

	@Test
	void theConfiguredServerHeaderIsOnEveryResponse() throws Exception {
		assertThat(serverHeaderOf("--prefork.server-header=shop/1.2")).hasValue("shop/1.2");
	}

	@Test
	void noServerHeaderIsSentByDefaultNorForBootsProperty() throws Exception {
		assertThat(serverHeaderOf()).isEmpty();
		assertThat(serverHeaderOf("--server.server-header=ignored")).isEmpty();
	}

	private static Optional<String> serverHeaderOf(String... properties) throws Exception {
		String[] args = new String[properties.length + 2];
		args[0] = "--server.port=0";
		args[1] = "--server.address=127.0.0.1";
		System.arraycopy(properties, 0, args, 2, properties.length);
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(HelloApplication.class).run(args)) {
			int port = ((WebServerApplicationContext) context).getWebServer().getPort();
			HttpResponse<String> response = HttpClient.newHttpClient()
				.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello")).build(),
						HttpResponse.BodyHandlers.ofString());
			assertThat(response.body()).isEqualTo("hello");
			return response.headers().firstValue("Server");
		}
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class HelloApplication {

		@Bean
		RouterFunction<ServerResponse> hello() {
			return RouterFunctions.route(GET("/hello"), (request) -> ServerResponse.ok().bodyValue("hello"));
		}

	}

}
