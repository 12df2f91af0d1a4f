package dev.prefork.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import dev.prefork.server.PreforkWebServer;
import dev.prefork.server.Worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Closing the application (SIGTERM in production) with {@code server.shutdown=graceful} lets the
 * request in flight finish, then leaves no Prefork thread behind.
 */
class GracefulShutdownTests {

	@Test
	void closingTheApplicationFinishesTheRequestInFlightAndLeavesNoThread() throws Exception {
		Set<Thread> before = preforkThreads(); // other test contexts' servers may still be running
		ConfigurableApplicationContext context = new SpringApplicationBuilder(SampleApplication.class)
			.run("--server.port=0", "--management.server.port=0", "--spring.lifecycle.timeout-per-shutdown-phase=20s");
		PreforkWebServer server = (PreforkWebServer) ((WebServerApplicationContext) context).getWebServer();
		URI uri = URI.create("http://127.0.0.1:" + server.getPort() + "/work?ms=1500");
		CompletableFuture<HttpResponse<String>> inFlight = HttpClient.newHttpClient()
			.sendAsync(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
		await().until(() -> server.getArbiter().getWorkers().stream().mapToInt(Worker::getInFlight).sum() == 1);

		context.close();

		HttpResponse<String> response = inFlight.get();
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).startsWith("worked 1500 ms");
		await().atMost(Duration.ofSeconds(10)).until(() -> before.containsAll(preforkThreads()));
	}

	private static Set<Thread> preforkThreads() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter(Thread::isAlive)
			.filter((thread) -> thread.getName().startsWith("prefork-"))
			.collect(Collectors.toSet());
	}

}
