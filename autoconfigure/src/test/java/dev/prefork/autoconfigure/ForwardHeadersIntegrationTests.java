package dev.prefork.autoconfigure;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

/**
 * {@code server.forward-headers-strategy} in a full application, as on Boot's Netty server:
 * {@code native} makes the server take the scheme, host and client address from the proxy's
 * headers; left unset, it does so on Kubernetes (detected from its service environment variables)
 * and not elsewhere; {@code none} never does.
 */
class ForwardHeadersIntegrationTests {

	private static final String PROXIED = "https://shop.example.com from 203.0.113.7";

	@Test
	void nativeStrategyAppliesTheProxysHeaders() throws Exception {
		assertThat(whereFromBehindAProxy(Map.of(), "--server.forward-headers-strategy=native")).isEqualTo(PROXIED);
	}

	@Test
	void unsetStrategyAppliesThemOnKubernetes() throws Exception {
		Map<String, Object> kubernetes = Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443");
		assertThat(whereFromBehindAProxy(kubernetes)).isEqualTo(PROXIED);
	}

	@Test
	void unsetStrategyIgnoresThemOffACloudPlatform() throws Exception {
		assertThat(whereFromBehindAProxy(Map.of())).startsWith("http://127.0.0.1:").endsWith(" from 127.0.0.1");
	}

	@Test
	void noneStrategyIgnoresThemOnKubernetesToo() throws Exception {
		Map<String, Object> kubernetes = Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443");
		assertThat(whereFromBehindAProxy(kubernetes, "--server.forward-headers-strategy=none"))
			.startsWith("http://127.0.0.1:");
	}

	private static String whereFromBehindAProxy(Map<String, Object> systemEnvironment, String... properties)
			throws Exception {
		String[] args = new String[properties.length + 2];
		args[0] = "--server.port=0";
		args[1] = "--server.address=127.0.0.1";
		System.arraycopy(properties, 0, args, 2, properties.length);
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(ProxiedApplication.class)
			.initializers((ctx) -> ctx.getEnvironment()
				.getPropertySources()
				.replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new SystemEnvironmentPropertySource(
						StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, systemEnvironment)))
			.run(args)) {
			int port = ((WebServerApplicationContext) context).getWebServer().getPort();
			HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/where"))
				.header("X-Forwarded-Proto", "https")
				.header("X-Forwarded-Host", "shop.example.com")
				.header("X-Forwarded-For", "203.0.113.7")
				.build();
			return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()).body();
		}
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class ProxiedApplication {

		@Bean
		RouterFunction<ServerResponse> where() {
			return RouterFunctions.route(GET("/where"), (request) -> {
				URI uri = request.uri();
				String client = request.remoteAddress().map((address) -> address.getAddress().getHostAddress()).orElse("?");
				String port = (uri.getPort() != -1) ? ":" + uri.getPort() : "";
				return ServerResponse.ok().bodyValue(uri.getScheme() + "://" + uri.getHost() + port + " from " + client);
			});
		}

	}

}
