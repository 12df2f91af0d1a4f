package dev.prefork.server;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The two timeouts, never confused: the heartbeat timeout replaces a worker whose threads are all
 * stuck; the request timeout answers one slow request and interrupts its thread.
 */
class TimeoutTests {

	@Test
	void whenEveryThreadOfAWorkerIsStuckThenArbiterReplacesTheWorker() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setTimeout(Duration.ofSeconds(1));
		})) {
			Worker original = server.arbiter().getWorkers().get(0);
			CompletableFuture<HttpResponse<String>> hung = server.getAsync("/hang");

			HttpResponse<String> answer = hung.get();
			assertThat(answer.statusCode()).isEqualTo(503);
			await().until(() -> server.arbiter().getTimedOut() == 1);
			Worker replacement = server.arbiter().getWorkers().get(0);
			assertThat(replacement).isNotSameAs(original);
			assertThat(replacement.getAge()).isGreaterThan(original.getAge());
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
			await().until(() -> server.arbiter().getWorkers().size() == 1 && server.arbiter().getExited() == 1);
		}
	}

	@Test
	void whenARequestRunsPastTheRequestTimeoutThenItIsAnswered503AndItsThreadFreed() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setRequestTimeout(Duration.ofMillis(300));
		})) {
			long start = System.nanoTime();
			HttpResponse<String> answer = server.get("/hang");
			assertThat(answer.statusCode()).isEqualTo(503);
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
			assertThat(server.server.getRequestOutcomes().getRequestTimeouts()).isEqualTo(1);
			// The interrupted thread came back, so the single-thread worker serves again and is not replaced.
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
			assertThat(server.arbiter().getTimedOut()).isZero();
			assertThat(server.arbiter().getAbandonedThreads()).isZero();
		}
	}

	@Test
	void whenATimedOutRequestIgnoresItsInterruptThenTheThreadIsCountedAbandonedAndTheWorkerReplaced()
			throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(2);
			factory.setRequestTimeout(Duration.ofMillis(200));
			factory.setGracefulTimeout(Duration.ofMillis(300));
		})) {
			Worker original = server.arbiter().getWorkers().get(0);
			HttpResponse<String> answer = server.get("/stubborn?ms=4000");
			assertThat(answer.statusCode()).isEqualTo(503);
			await().until(() -> server.arbiter().getAbandonedThreads() == 1);
			await().until(() -> server.arbiter().getWorkers().get(0) != original);
			assertThat(server.arbiter().getRecycled()).isEqualTo(1);
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
		}
	}


}
