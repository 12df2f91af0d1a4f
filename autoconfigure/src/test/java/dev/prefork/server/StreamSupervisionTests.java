package dev.prefork.server;

import java.time.Duration;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

/**
 * Streams survive supervision: a stream that holds no worker thread is not cut by recycling
 * (its worker's threads are replaced, the stream finishes), nor by the request timeout once it has
 * begun. A stream that writes nothing is closed after {@code stream-idle-timeout}.
 */
class StreamSupervisionTests {

	private static final HttpHandler HANDLER = RouterFunctions.toHttpHandler(RouterFunctions
		.route(GET("/events"), (request) -> ServerResponse.ok()
			.contentType(MediaType.TEXT_EVENT_STREAM)
			.body(Flux.interval(Duration.ZERO, Duration.ofMillis(100))
				.take(Integer.parseInt(request.queryParam("n").orElse("20")))
				.map((i) -> ServerSentEvent.builder("event " + i).build()), ServerSentEvent.class))
		.andRoute(GET("/silent"), (request) -> ServerResponse.ok()
			.contentType(MediaType.TEXT_EVENT_STREAM)
			.body(Flux.concat(Flux.just(ServerSentEvent.builder("hello").build()), Flux.never()), ServerSentEvent.class))
		.andRoute(GET("/block"), (request) -> ServerResponse.ok().body(Mono.fromCallable(() -> {
			Thread.sleep(1500);
			return "blocked";
		}), String.class))
		.andRoute(GET("/hello"), (request) -> ServerResponse.ok().bodyValue("hello")));

	@Test
	void aStreamOutlivesTheRecyclingOfItsWorkerAndTheRequestTimeout() throws Exception {
		try (TestServer server = start((factory) -> {
			factory.setRequestTimeout(Duration.ofMillis(300));
			factory.setGracefulTimeout(Duration.ofMillis(500));
		}); RawHttp stream = new RawHttp(server.port())) {
			Worker original = server.arbiter().getWorkers().get(0);
			stream.send("GET /events?n=30 HTTP/1.1\r\nHost: test\r\n\r\n");
			assertThat(stream.readUntilClosedOr("data:event 1", Duration.ofSeconds(5))).startsWith("HTTP/1.1 200");
			server.arbiter().recycleAll();
			Worker replacement = RequestLifecycleTests.awaitReplacementOf(original, server);
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
			// 3 s of events: six times the graceful timeout, ten times the request timeout.
			assertThat(stream.readUntilClosedOr("data:event 29", Duration.ofSeconds(10))).contains("data:event 29");
			assertThat(server.server.getRequestOutcomes().getRequestTimeouts()).isZero();
			await().atMost(Duration.ofSeconds(5)).until(() -> !server.arbiter().getWorkers().contains(original));
			assertThat(original.getAbandonedThreads()).isZero();
			assertThat(server.arbiter().getWorkers()).containsExactly(replacement);
		}
	}

	@Test
	void aStreamOutlivesTheScalingDownOfItsWorker() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(2);
			factory.setThreads(1);
			factory.setQueueCapacity(0);
			factory.setGracefulTimeout(Duration.ofMillis(500));
		}, HANDLER); RawHttp blocker = new RawHttp(server.port()); RawHttp stream = new RawHttp(server.port())) {
			// Worker 1's only thread is taken, so the stream goes to worker 2, the one scaling retires.
			blocker.send("GET /block HTTP/1.1\r\nHost: test\r\n\r\n");
			Worker first = server.arbiter().getWorkers().get(0);
			await().atMost(Duration.ofSeconds(5)).until(() -> first.getBusyThreads() == 1);
			stream.send("GET /events?n=30 HTTP/1.1\r\nHost: test\r\n\r\n");
			assertThat(stream.readUntilClosedOr("data:event 1", Duration.ofSeconds(5))).startsWith("HTTP/1.1 200");
			Worker second = server.arbiter().getWorkers().get(1);
			assertThat(second.getStreaming()).isEqualTo(1);
			server.arbiter().scale(1);
			await().atMost(Duration.ofSeconds(5)).until(() -> second.getState() != Worker.State.ACTIVE);
			assertThat(stream.readUntilClosedOr("data:event 29", Duration.ofSeconds(10))).contains("data:event 29");
			await().atMost(Duration.ofSeconds(5)).until(() -> second.getState() == Worker.State.STOPPED);
			assertThat(second.getAbandonedThreads()).isZero();
			// The arbiter reaps a stopped worker on its next tick.
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(server.arbiter().getWorkers()).containsExactly(first));
		}
	}

	@Test
	void aStreamThatWritesNothingIsClosedAfterTheStreamIdleTimeout() throws Exception {
		try (TestServer server = start((factory) -> factory.setStreamIdleTimeout(Duration.ofMillis(500)));
				RawHttp stream = new RawHttp(server.port())) {
			stream.send("GET /silent HTTP/1.1\r\nHost: test\r\n\r\n");
			assertThat(stream.readUntilClosedOr("data:hello", Duration.ofSeconds(5))).contains("data:hello");
			long start = System.nanoTime();
			assertThat(stream.isClosedByServer()).isTrue();
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
			await().until(() -> server.arbiter().getInFlight() == 0);
			assertThat(server.arbiter().getWorkers().get(0).getOutcomeCount(Worker.Outcome.TIMEOUT)).isEqualTo(1);
		}
	}

	@Test
	void aStreamThatKeepsWritingIsNeverIdle() throws Exception {
		try (TestServer server = start((factory) -> factory.setStreamIdleTimeout(Duration.ofMillis(500)));
				RawHttp stream = new RawHttp(server.port())) {
			stream.send("GET /events?n=20 HTTP/1.1\r\nHost: test\r\n\r\n");
			assertThat(stream.readUntilClosedOr("data:event 19", Duration.ofSeconds(10))).contains("data:event 19");
			assertThat(server.arbiter().getWorkers().get(0).getOutcomeCount(Worker.Outcome.TIMEOUT)).isZero();
		}
	}

	private static TestServer start(Consumer<PreforkReactiveWebServerFactory> customizer) {
		return TestServer.start((factory) -> {
			factory.setWorkers(1);
			customizer.accept(factory);
		}, HANDLER);
	}

}
