package dev.prefork.server;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Flux;

import org.springframework.boot.web.server.Http2;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

/**
 * A body produced as the client takes it (rows of a blocking cursor, mapped one by one): after the
 * first batch, reactor-netty asks for more elements from the connection's event loop, as the
 * earlier ones are written, and a synchronous {@code Flux} produces them on the thread that asks.
 * Every element is still produced on the worker that took the request, whose thread counts as
 * busy meanwhile; an element that blocks holds no event loop, so a request on another connection
 * of the same loop is answered in the meantime. Both ways Spring writes a stream, a body
 * ({@code writeWith}) and server-sent events ({@code writeAndFlushWith}), on HTTP/1.1 and h2c.
 */
class StreamDemandTests {

	private static final int ROWS = 2_000;

	/** Far past the first demand of either way of writing (256 elements, 32 events). */
	private static final int BLOCKING_ROW = 1_000;

	private final Set<String> producers = ConcurrentHashMap.newKeySet();

	private final CountDownLatch blocking = new CountDownLatch(1);

	private final CountDownLatch release = new CountDownLatch(1);

	@ParameterizedTest
	@CsvSource({ "/rows, HTTP_1_1", "/row-events, HTTP_1_1", "/rows, HTTP_2", "/row-events, HTTP_2" })
	void elementsAskedForByTheEventLoopAreProducedOnTheWorkerAndBlockNoLoop(String path, HttpClient.Version version)
			throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(2);
			factory.setIoThreads(1); // one loop: a row blocking it would hold every connection
			Http2 http2 = new Http2();
			http2.setEnabled(true); // h2c, upgraded from the stream's first request
			factory.setHttp2(http2);
		}, handler())) {
			HttpClient streamClient = HttpClient.newBuilder().version(version).build();
			CompletableFuture<HttpResponse<String>> stream = streamClient.sendAsync(
					HttpRequest.newBuilder(server.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
			assertThat(this.blocking.await(10, TimeUnit.SECONDS)).as("the stream reached its blocking row").isTrue();
			HttpClient otherConnection = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
			HttpResponse<String> hello = otherConnection.send(
					HttpRequest.newBuilder(server.uri("/hello")).timeout(Duration.ofSeconds(5)).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(hello.body()).isEqualTo("hello");
			assertThat(stream).isNotDone();
			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(busyThreads(server))
				.as("the blocked row holds a worker thread").isEqualTo(1));

			this.release.countDown();
			HttpResponse<String> rows = stream.get(10, TimeUnit.SECONDS);
			assertThat(rows.statusCode()).isEqualTo(200);
			assertThat(rows.version()).isEqualTo(version);
			assertThat(rows.body()).contains("row 0\n").contains("row " + (ROWS - 1) + "\n");
			assertThat(this.producers).isNotEmpty().allSatisfy((thread) -> assertThat(thread).startsWith("prefork-w"));
			await().atMost(Duration.ofSeconds(5)).until(() -> server.arbiter().getInFlight() == 0);
		}
	}

	private HttpHandler handler() {
		return RouterFunctions.toHttpHandler(RouterFunctions
			.route(GET("/rows"), (request) -> ServerResponse.ok().contentType(MediaType.TEXT_PLAIN).body(rows(), String.class))
			.andRoute(GET("/row-events"), (request) -> ServerResponse.ok()
				.contentType(MediaType.TEXT_EVENT_STREAM)
				.body(rows().map((row) -> ServerSentEvent.builder(row).build()), ServerSentEvent.class))
			.andRoute(GET("/hello"), (request) -> ServerResponse.ok().bodyValue("hello")));
	}

	private Flux<String> rows() {
		return Flux.range(0, ROWS).map((row) -> {
			this.producers.add(Thread.currentThread().getName());
			if (row == BLOCKING_ROW) {
				this.blocking.countDown();
				awaitRelease();
			}
			return "row " + row + "\n";
		});
	}

	private void awaitRelease() {
		try {
			this.release.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static int busyThreads(TestServer server) {
		return server.arbiter().getWorkers().stream().mapToInt(Worker::getBusyThreads).sum();
	}

}
