package dev.prefork.server;

import java.net.InetAddress;
import java.time.Duration;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code prefork.keepalive}: how long an idle connection is kept, and {@code 0} for gunicorn's
 * "no keep-alive" (one request per connection), where a silent connection still gets no longer
 * than the header timeout.
 */
class KeepAliveTests {

	@Test
	void keepaliveZeroClosesTheConnectionAfterEveryResponse() throws Exception {
		try (TestServer server = start((factory) -> factory.setKeepAlive(Duration.ZERO))) {
			for (int i = 0; i < 3; i++) {
				try (RawHttp raw = new RawHttp(server.port())) {
					RawHttp.Response response = raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
					assertThat(response.status()).isEqualTo(200);
					assertThat(response.hasHeader("connection", "close")).as("Connection: close").isTrue();
					raw.soTimeout(3_000);
					assertThat(raw.isClosedByServer()).isTrue();
				}
			}
		}
	}

	@Test
	void keepaliveZeroClosesASilentConnectionWithinTheHeaderTimeout() throws Exception {
		try (TestServer server = start((factory) -> {
			factory.setKeepAlive(Duration.ZERO);
			factory.setHeaderTimeout(Duration.ofMillis(500));
		}); RawHttp raw = new RawHttp(server.port())) {
			raw.soTimeout(5_000);
			long start = System.nanoTime();
			assertThat(raw.isClosedByServer()).as("closed within 5 s").isTrue();
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(400),
					Duration.ofSeconds(3));
		}
	}

	@Test
	void keepaliveClosesAnIdleKeptAliveConnectionAndASilentNewOne() throws Exception {
		try (TestServer server = start((factory) -> factory.setKeepAlive(Duration.ofMillis(300)));
				RawHttp used = new RawHttp(server.port());
				RawHttp silent = new RawHttp(server.port())) {
			RawHttp.Response response = used.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.hasHeader("connection", "close")).isFalse();
			used.soTimeout(5_000);
			silent.soTimeout(5_000);
			assertThat(used.isClosedByServer()).as("idle kept-alive connection closed").isTrue();
			assertThat(silent.isClosedByServer()).as("silent connection closed").isTrue();
		}
	}

	private static TestServer start(Consumer<PreforkReactiveWebServerFactory> customizer) {
		return TestServer.start((factory) -> {
			factory.setAddress(InetAddress.getLoopbackAddress());
			customizer.accept(factory);
		});
	}

}
