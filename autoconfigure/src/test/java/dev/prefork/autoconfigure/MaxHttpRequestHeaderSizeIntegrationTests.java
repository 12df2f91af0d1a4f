package dev.prefork.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

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
 * Boot's {@code server.max-http-request-header-size} in a full application, over raw sockets:
 * set, it bounds the whole header section as on Boot's Netty server, and a single field may be as
 * long; with {@code prefork.limit-request-field-size} set too, each field keeps that bound; unset,
 * Prefork's own field limits apply (gunicorn's 8190-byte field line).
 */
class MaxHttpRequestHeaderSizeIntegrationTests {

	@Test
	void whenSetAFieldMayBeAsLongAsTheWholeSectionMay() throws Exception {
		try (ConfigurableApplicationContext app = run("--server.max-http-request-header-size=16KB")) {
			assertThat(statusOf(app, field("X-Big", 10_000))).isEqualTo(200);
			assertThat(statusOf(app, field("X-Big", 15_000))).isEqualTo(200);
			assertThat(statusOf(app, field("X-Big", 17_000))).isEqualTo(431);
			assertThat(statusOf(app, field("X-One", 9_000) + field("X-Two", 9_000))).as("18 KB in two fields")
				.isEqualTo(431);
		}
	}

	@Test
	void withAFieldSizeOfItsOwnEachFieldKeepsThatBound() throws Exception {
		try (ConfigurableApplicationContext app = run("--server.max-http-request-header-size=16KB",
				"--prefork.limit-request-field-size=4096")) {
			assertThat(statusOf(app, field("X-Big", 5_000))).isEqualTo(431);
			assertThat(statusOf(app, field("X-A", 3_000) + field("X-B", 3_000) + field("X-C", 3_000)))
				.isEqualTo(200);
			assertThat(statusOf(app, field("X-A", 4_000) + field("X-B", 4_000) + field("X-C", 4_000)
					+ field("X-D", 4_000) + field("X-E", 4_000))).as("20 KB in fields of 4 KB")
				.isEqualTo(431);
		}
	}

	@Test
	void whenUnsetTheFieldLimitsApply() throws Exception {
		try (ConfigurableApplicationContext app = run()) {
			assertThat(statusOf(app, field("X-Big", 8_000))).isEqualTo(200);
			assertThat(statusOf(app, field("X-Big", 10_000))).isEqualTo(431);
			assertThat(statusOf(app, field("X-A", 8_000) + field("X-B", 8_000))).as("two fields within the limits")
				.isEqualTo(200);
		}
	}

	private static ConfigurableApplicationContext run(String... properties) {
		String[] args = new String[properties.length + 2];
		args[0] = "--server.port=0";
		args[1] = "--server.address=127.0.0.1";
		System.arraycopy(properties, 0, args, 2, properties.length);
		return new SpringApplicationBuilder(HeaderApplication.class).run(args);
	}

	private static String field(String name, int length) {
		return name + ": " + "v".repeat(length - name.length() - 2) + "\r\n";
	}

	/** The status of one GET carrying {@code fields}, sent on a connection of its own. */
	private static int statusOf(ConfigurableApplicationContext app, String fields) throws IOException {
		int port = ((WebServerApplicationContext) app).getWebServer().getPort();
		try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
			socket.setSoTimeout(10_000);
			OutputStream out = socket.getOutputStream();
			out.write(("GET /hello HTTP/1.1\r\nHost: localhost\r\n" + fields + "Connection: close\r\n\r\n")
				.getBytes(StandardCharsets.US_ASCII));
			out.flush();
			InputStream in = socket.getInputStream();
			byte[] statusLine = new byte[12];
			int read = in.readNBytes(statusLine, 0, statusLine.length);
			String line = new String(statusLine, 0, read, StandardCharsets.US_ASCII);
			assertThat(line).startsWith("HTTP/1.1 ");
			return Integer.parseInt(line.substring(9, 12));
		}
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class HeaderApplication {

		@Bean
		RouterFunction<ServerResponse> hello() {
			return RouterFunctions.route(GET("/hello"), (request) -> ServerResponse.ok().bodyValue("hello"));
		}

	}

}
