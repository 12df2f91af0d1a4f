package dev.prefork.server;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.prefork.test.NettyLeakCheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

/**
 * The request timeout bounds the wait for an answer, whatever the shape of the body: a
 * {@code Flux} (a JSON array, server-sent events) that has not produced its first element is
 * still waiting for its answer, and is answered 503 with its thread interrupted; a stream that
 * has begun is left to finish.
 */
class StreamingResponseTests {

	private static final HttpHandler HANDLER = RouterFunctions.toHttpHandler(RouterFunctions
		.route(GET("/lazy-flux"), (request) -> ServerResponse.ok().body(Flux.defer(() -> {
			TestServer.sleep(60_000); // a blocking query that produces the first row
			return Flux.just("row");
		}), String.class))
		.andRoute(GET("/never-flux"), (request) -> ServerResponse.ok().body(Flux.never(), String.class))
		.andRoute(GET("/late-sse"), (request) -> ServerResponse.ok()
			.contentType(MediaType.TEXT_EVENT_STREAM)
			.body(Flux.interval(Duration.ofMillis(800)).take(2).map((i) -> ServerSentEvent.builder("late " + i).build()),
					ServerSentEvent.class))
		.andRoute(GET("/sse"), (request) -> ServerResponse.ok()
			.contentType(MediaType.TEXT_EVENT_STREAM)
			.body(Flux.interval(Duration.ZERO, Duration.ofMillis(100)).take(10)
				.map((i) -> ServerSentEvent.builder("event " + i).build()), ServerSentEvent.class)));

	@Test
	void fluxBodyWhoseFirstElementBlocksIsAnswered503AndItsThreadInterrupted() throws Exception {
		try (TestServer server = start((factory) -> factory.setRequestTimeout(Duration.ofMillis(300)))) {
			assertThat(status(server, "/lazy-flux")).isEqualTo(503);
			await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
				assertThat(busyThreads(server)).isZero();
				assertThat(server.arbiter().getInFlight()).isZero();
			});
		}
	}

	@Test
	void fluxBodyThatNeverProducesIsAnswered503() throws Exception {
		try (TestServer server = start((factory) -> factory.setRequestTimeout(Duration.ofMillis(300)))) {
			assertThat(status(server, "/never-flux")).isEqualTo(503);
			await().atMost(Duration.ofSeconds(3)).until(() -> server.arbiter().getInFlight() == 0);
		}
	}

	@Test
	void eventStreamWhoseFirstEventComesAfterTheTimeoutIsAnswered503AndLeaksNothing() throws Exception {
		NettyLeakCheck.collectLeaks();
		try (TestServer server = start((factory) -> factory.setRequestTimeout(Duration.ofMillis(300)))) {
			assertThat(status(server, "/late-sse")).isEqualTo(503);
			// The first event still comes, and its commit is refused: nothing of it is sent.
			await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
				.until(() -> server.arbiter().getInFlight() == 0);
		}
		assertThat(NettyLeakCheck.collectLeaks()).isEmpty();
	}

	@Test
	void eventStreamThatHasBegunOutlivesTheRequestTimeout() throws Exception {
		try (TestServer server = start((factory) -> factory.setRequestTimeout(Duration.ofMillis(300)));
				RawHttp http = new RawHttp(server.port())) {
			http.send("GET /sse HTTP/1.1\r\nHost: test\r\n\r\n");
			String stream = http.readUntilClosedOr("event 9", Duration.ofSeconds(5));
			assertThat(stream).startsWith("HTTP/1.1 200 OK").contains("data:event 0").contains("data:event 9");
			assertThat(server.server.getRequestOutcomes().getRequestTimeouts()).isZero();
		}
	}

	private static TestServer start(Consumer<PreforkReactiveWebServerFactory> customizer) {
		return TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(2);
			customizer.accept(factory);
		}, HANDLER);
	}

	private static int status(TestServer server, String path) throws IOException {
		try (RawHttp http = new RawHttp(server.port())) {
			RawHttp.Response response = http.send("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
			return (response != null) ? response.status() : -1;
		}
	}

	private static int busyThreads(TestServer server) {
		return server.arbiter().getWorkers().stream().mapToInt(Worker::getBusyThreads).sum();
	}

}
