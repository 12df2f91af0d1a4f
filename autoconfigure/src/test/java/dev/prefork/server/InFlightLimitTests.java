package dev.prefork.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * Requests that wait on something reactive hold no thread, yet they are bounded too:
 * {@code max-in-flight} caps the requests a worker has admitted whose answer has not started,
 * they count in the saturation that readiness watches, and the excess gets the same fast 503 with
 * {@code Retry-After}. A response that has started (a stream) no longer counts: it is streaming.
 */
class InFlightLimitTests {

	private static final HttpHandler HANDLER = RouterFunctions.toHttpHandler(RouterFunctions
		.route(GET("/pending"), (request) -> ServerResponse.ok().body(Mono.never(), String.class))
		.andRoute(GET("/stream"), (request) -> ServerResponse.ok()
			.contentType(MediaType.TEXT_EVENT_STREAM)
			.body(Flux.interval(Duration.ZERO, Duration.ofMillis(100)).map((i) -> ServerSentEvent.builder("" + i).build()),
					ServerSentEvent.class)));

	@Test
	void requestsWaitingOnSomethingReactiveAreBoundedByThreadsPlusQueueByDefault() throws Exception {
		try (TestServer server = start((factory) -> {
		})) {
			List<RawHttp> pending = new ArrayList<>();
			try {
				RawHttp first = open(server, "/pending", pending);
				await().until(() -> worker(server).getUnanswered() == 1);
				assertThat(worker(server).getBusyThreads()).isZero();
				assertThat(server.arbiter().getSaturation()).isEqualTo(1.0);
				for (int i = 0; i < 19; i++) {
					RawHttp.Response refused = open(server, "/pending", pending).readResponse();
					assertThat(refused.status()).isEqualTo(503);
					assertThat(refused.hasHeader("retry-after", "1")).isTrue();
				}
				assertThat(server.server.getRequestOutcomes().getRejected()).isEqualTo(19);
				assertThat(first.isClosedByServer()).isFalse();
			}
			finally {
				closeAll(pending);
			}
			await().until(() -> worker(server).getUnanswered() == 0 && worker(server).getInFlight() == 0);
		}
	}

	@Test
	void maxInFlightCanBeRaisedForAReactiveApplication() throws Exception {
		try (TestServer server = start((factory) -> factory.setMaxInFlight(10))) {
			List<RawHttp> pending = new ArrayList<>();
			try {
				for (int i = 1; i <= 10; i++) {
					open(server, "/pending", pending);
					int admitted = i;
					// queue-capacity 0: each one waits for the thread to be idle again
					await().until(() -> worker(server).getUnanswered() == admitted);
				}
				assertThat(open(server, "/pending", pending).readResponse().status()).isEqualTo(503);
				assertThat(server.arbiter().getSaturation()).isEqualTo(1.0);
			}
			finally {
				closeAll(pending);
			}
		}
	}

	@Test
	void aStreamThatHasBegunNoLongerCountsAgainstTheLimitButAsStreaming() throws Exception {
		try (TestServer server = start((factory) -> {
		})) {
			List<RawHttp> streams = new ArrayList<>();
			try {
				for (int i = 0; i < 3; i++) {
					RawHttp stream = open(server, "/stream", streams);
					assertThat(stream.readUntilClosedOr("data:1", Duration.ofSeconds(5))).startsWith("HTTP/1.1 200");
				}
				assertThat(worker(server).getStreaming()).isEqualTo(3);
				assertThat(worker(server).getUnanswered()).isZero();
				assertThat(server.arbiter().getSaturation()).isZero();
			}
			finally {
				closeAll(streams);
			}
			await().until(() -> worker(server).getStreaming() == 0 && worker(server).getInFlight() == 0);
		}
	}

	private static TestServer start(Consumer<PreforkReactiveWebServerFactory> customizer) {
		return TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(0);
			customizer.accept(factory);
		}, HANDLER);
	}

	private static RawHttp open(TestServer server, String path, List<RawHttp> opened) throws Exception {
		RawHttp http = new RawHttp(server.port());
		opened.add(http);
		http.soTimeout(5_000);
		return http.send("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n");
	}

	private static void closeAll(List<RawHttp> connections) throws Exception {
		for (RawHttp connection : connections) {
			connection.close();
		}
	}

	private static Worker worker(TestServer server) {
		return server.arbiter().getWorkers().get(0);
	}

}
