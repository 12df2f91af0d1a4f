package dev.prefork.server;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Application code runs on worker threads, never on event loops, and load is spread evenly.
 */
class WorkerDispatchTests {

	@Test
	void handlerRunsOnANamedWorkerThread() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
		})) {
			HttpResponse<String> response = server.get("/thread");
			assertThat(response.statusCode()).isEqualTo(200);
			assertThat(response.body()).matches("prefork-w[12]-t[1-4]");
		}
	}

	@Test
	void requestBodyIsDecodedOnTheWorkerThreadNotTheEventLoop() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
		})) {
			String body = "x".repeat(200_000); // several chunks, delivered by the event loop
			HttpResponse<String> response = server.client.send(HttpRequest.newBuilder(server.uri("/echo-thread"))
				.POST(HttpRequest.BodyPublishers.ofString(body))
				.header("Content-Type", "text/plain")
				.build(), HttpResponse.BodyHandlers.ofString());
			assertThat(response.statusCode()).isEqualTo(200);
			assertThat(response.body()).matches("200000 bytes decoded on prefork-w[12]-t[1-4]");
		}
	}

	@Test
	void underUniformLoadWorkersServeWithinTwentyPercentOfEachOther() throws Exception {
		try (TestServer server = TestServer.start((factory) -> factory.setWorkers(3))) {
			List<CompletableFuture<Void>> clients = new ArrayList<>();
			for (int c = 0; c < 12; c++) {
				clients.add(CompletableFuture.runAsync(() -> IntStream.range(0, 150).forEach((i) -> {
					try {
						assertThat(server.get("/sleep?ms=1").statusCode()).isEqualTo(200);
					}
					catch (Exception ex) {
						throw new IllegalStateException(ex);
					}
				})));
			}
			CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).join();
			List<Long> served = server.arbiter().getWorkers().stream().map(Worker::getRequests).toList();
			assertThat(served).hasSize(3);
			assertThat(served.stream().mapToLong(Long::longValue).sum()).isEqualTo(1800);
			long max = served.stream().mapToLong(Long::longValue).max().orElseThrow();
			long min = served.stream().mapToLong(Long::longValue).min().orElseThrow();
			assertThat((double) (max - min) / max).as("spread of %s", served).isLessThanOrEqualTo(0.20);
		}
	}

	@Test
	void noRequestWaitsWhileAnotherWorkerHasAnIdleThread() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(2);
			factory.setThreads(1);
			factory.setQueueCapacity(5);
		})) {
			CompletableFuture<HttpResponse<String>> blocked = server.getAsync("/block");
			org.awaitility.Awaitility.await().until(() -> server.invocations("/block") == 1);
			// One worker's only thread is blocked; the other worker must take this one at once.
			HttpResponse<String> response = server.get("/thread");
			assertThat(response.statusCode()).isEqualTo(200);
			server.release.countDown();
			assertThat(blocked.get().statusCode()).isEqualTo(200);
		}
	}


}
