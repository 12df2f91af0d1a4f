package dev.prefork.server;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

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

	@Test
	void whenRequestsTimeOutThenEveryOneIsAnswered503AndNoneRacesTheInterruptedHandlersError() throws Exception {
		// An application that answers as soon as it is interrupted, as many do: its answer must not
		// race the timeout's 503 (the worker thread would win often, and the connection be closed).
		HttpHandler answersWhenInterrupted = RouterFunctions.toHttpHandler(RouterFunctions.route(GET("/hang"), (request) -> {
			try {
				Thread.sleep(60_000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return ServerResponse.ok().bodyValue("interrupted");
		}));
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(4);
			factory.setRequestTimeout(Duration.ofMillis(50));
		}, answersWhenInterrupted)) {
			// Raw sockets, not HttpClient: HttpClient silently re-sends a GET whose connection closed
			// without an answer, which is the very failure looked for here.
			ExecutorService clients = Executors.newFixedThreadPool(4);
			try {
				List<Future<String>> answers = new ArrayList<>();
				for (int i = 0; i < 200; i++) {
					answers.add(clients.submit(() -> answerTo(server, "GET /hang HTTP/1.1\r\nHost: test\r\n\r\n")));
				}
				List<String> statuses = new ArrayList<>();
				for (Future<String> answer : answers) {
					statuses.add(answer.get());
				}
				assertThat(statuses).containsOnly("HTTP/1.1 503 Service Unavailable");
			}
			finally {
				clients.shutdownNow();
			}
		}
	}

	private static String answerTo(TestServer server, String request) throws IOException {
		try (RawHttp http = new RawHttp(server.port())) {
			RawHttp.Response response = http.send(request).readResponse();
			return (response != null) ? response.statusLine() : "connection closed without an answer";
		}
		catch (IOException ex) {
			return "connection failed: " + ex;
		}
	}

}
