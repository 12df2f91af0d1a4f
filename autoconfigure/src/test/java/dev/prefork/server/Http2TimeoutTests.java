package dev.prefork.server;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import org.springframework.boot.web.server.Http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * On HTTP/2 the server's own answers go to one stream, never to the connection: a request that
 * times out while it runs, or while it waits in the queue, and one refused for overload, each
 * get a {@code 503} on their stream, and the connection serves the next stream.
 */
class Http2TimeoutTests {

	@Test
	void runningAndQueuedRequestsThatTimeOutGet503OnTheirStreamAndTheConnectionServesOn() throws Exception {
		try (TestServer server = start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setRequestTimeout(Duration.ofMillis(300));
			factory.setGracefulTimeout(Duration.ofSeconds(10));
		}); H2Client client = H2Client.priorKnowledge(server.port())) {
			// Deaf to its interrupt, so that the request queued behind it times out in the queue.
			CompletableFuture<H2Client.Response> running = CompletableFuture
				.supplyAsync(() -> get(client, "/stubborn?ms=1500"));
			await().until(() -> server.invocations("/stubborn") == 1);
			H2Client.Response queued = get(client, "/hello");
			assertThat(queued.status()).isEqualTo("503");
			assertThat(running.get().status()).isEqualTo("503");
			assertThat(running.get().resetCode()).isNull();
			assertThat(server.invocations("/hello")).isZero();
			await().atMost(Duration.ofSeconds(5))
				.until(() -> server.arbiter().getWorkers().get(0).getBusyThreads() == 0);
			H2Client.Response next = get(client, "/hello");
			assertThat(next.status()).isEqualTo("200");
			assertThat(next.body()).isEqualTo("hello");
			assertThat(client.isOpen()).isTrue();
		}
	}

	@Test
	void aStreamRefusedForOverloadGets503WithRetryAfterAndTheConnectionServesOn() throws Exception {
		try (TestServer server = start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(0);
		}); H2Client client = H2Client.priorKnowledge(server.port());
				H2Client other = H2Client.priorKnowledge(server.port())) {
			// Each connection may open one stream (Http2StreamBudget), so the two of them together
			// ask for more than the one request the worker admits.
			CompletableFuture<H2Client.Response> blocked = CompletableFuture.supplyAsync(() -> get(client, "/block"));
			await().until(() -> server.invocations("/block") == 1);
			H2Client.Response refused = get(other, "/hello");
			assertThat(refused.status()).isEqualTo("503");
			server.release.countDown();
			assertThat(blocked.get().status()).isEqualTo("200");
			// The answer reaches the client a moment before the worker counts the request finished.
			await().until(() -> server.server.getArbiter().getInFlight() == 0);
			assertThat(get(other, "/hello").status()).isEqualTo("200");
			assertThat(get(client, "/hello").status()).isEqualTo("200");
		}
	}

	private static TestServer start(Consumer<PreforkReactiveWebServerFactory> customizer) {
		return TestServer.start((factory) -> {
			Http2 http2 = new Http2();
			http2.setEnabled(true);
			factory.setHttp2(http2);
			customizer.accept(factory);
		});
	}

	private static H2Client.Response get(H2Client client, String path) {
		try {
			return client.get(path, Map.of());
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

}
