package dev.prefork.server;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.netty.handler.codec.http.HttpHeaderNames;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;

import org.springframework.boot.web.server.Http2;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.server.reactive.HttpHandler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * On HTTP/2 a body of one buffer is committed and sent on the stream's event loop (see
 * {@code EventLoopCommit}): on the wire it must still look as on stock WebFlux, with a
 * {@code content-length}, whether the application set the length or not, and the application's
 * commit actions must still run on its worker.
 */
class SingleBufferResponseTests {

	private static final Map<String, String> COMMIT_ACTION_THREAD = new ConcurrentHashMap<>();

	/** The request to {@code /blocks-on-its-write-while-the-client-leaves} is being committed. */
	private static volatile CountDownLatch entered = new CountDownLatch(1);

	/** The test has seen the client's reset of that request. */
	private static volatile CountDownLatch clientLeft = new CountDownLatch(1);

	/** How its wait for its own write ended, and after how long. */
	private static volatile CompletableFuture<String> writeWaitEnded = new CompletableFuture<>();

	private static final HttpHandler HANDLER = (request, response) -> {
		if (request.getPath().value().equals("/blocks-on-its-write-while-the-client-leaves")) {
			// Blocking code waiting for its own write, whose client resets the stream while the
			// commit is under way (held here, in a commit action of the application's).
			response.beforeCommit(() -> Mono.fromRunnable(() -> {
				entered.countDown();
				try {
					clientLeft.await(10, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}));
			long began = System.nanoTime();
			try {
				response.writeWith(Mono.just(response.bufferFactory().wrap("late".getBytes(StandardCharsets.UTF_8))))
					.block(Duration.ofSeconds(30));
				writeWaitEnded.complete("written, after " + Duration.ofNanos(System.nanoTime() - began).toMillis() + " ms");
			}
			catch (RuntimeException ex) {
				writeWaitEnded.complete(ex.getClass().getSimpleName() + ", after "
						+ Duration.ofNanos(System.nanoTime() - began).toMillis() + " ms");
			}
			return Mono.empty();
		}
		if (request.getPath().value().equals("/empty")) {
			return response.writeWith(Mono.empty());
		}
		if (request.getPath().value().equals("/late-commit-action")) {
			// A body produced as the write is subscribed (as a template view renders), which on its
			// way registers a commit action, as a session first touched while rendering would.
			return response.writeWith(Mono.fromCallable(() -> {
				response.beforeCommit(() -> Mono.fromRunnable(
						() -> COMMIT_ACTION_THREAD.put("late", Thread.currentThread().getName())));
				return response.bufferFactory().wrap("late".getBytes(StandardCharsets.UTF_8));
			}));
		}
		if (request.getPath().value().equals("/blocks-on-its-write")) {
			// Blocking code, as a worker may run: it waits for its own answer to be written.
			response.writeWith(Mono.just(response.bufferFactory().wrap("written".getBytes(StandardCharsets.UTF_8))))
				.block(Duration.ofSeconds(30));
			return Mono.empty();
		}
		DataBuffer body = response.bufferFactory().wrap("hello".getBytes(StandardCharsets.UTF_8));
		if (request.getPath().value().equals("/with-length")) {
			response.getHeaders().setContentLength(5);
		}
		return response.writeWith(Mono.just(body));
	};

	private static final Consumer<PreforkReactiveWebServerFactory> HTTP2 = (factory) -> {
		Http2 http2 = new Http2();
		http2.setEnabled(true);
		factory.setHttp2(http2);
	};

	@Test
	void aBufferWrittenWithOrWithoutALengthIsSentWithOne() {
		try (TestServer server = TestServer.start(HTTP2, HANDLER)) {
			HttpClient client = HttpClient.create().protocol(HttpProtocol.H2C).host("127.0.0.1").port(server.port());
			for (String path : new String[] { "/without-length", "/with-length" }) {
				String answer = client.get()
					.uri(path)
					.responseSingle((response, content) -> content.asString()
						.map((body) -> response.version() + " " + response.status().code() + " "
								+ response.responseHeaders().get(HttpHeaderNames.CONTENT_LENGTH) + " " + body))
					.block();
				assertThat(answer).isEqualTo("HTTP/2.0 200 5 hello");
			}
		}
	}

	@Test
	void codeThatBlocksOnItsOwnWriteGetsItWrittenWithinTheArbitersTick() {
		// The worker thread reached the send and waits in the request's code: the send, which
		// would wait for it to leave, is taken over by the arbiter's supervision (every 200 ms).
		try (TestServer server = TestServer.start(HTTP2, HANDLER)) {
			HttpClient client = HttpClient.create().protocol(HttpProtocol.H2C).host("127.0.0.1").port(server.port());
			for (int i = 0; i < 5; i++) {
				long began = System.nanoTime();
				assertThat(client.get().uri("/blocks-on-its-write").responseContent().aggregate().asString()
					.block(Duration.ofSeconds(10))).isEqualTo("written");
				assertThat(Duration.ofNanos(System.nanoTime() - began)).as("well within the 30 s block")
					.isLessThan(Duration.ofSeconds(5));
			}
			await().until(() -> server.arbiter().getWorkers().stream().allMatch((worker) -> worker.getInFlight() == 0));
		}
	}

	@Test
	void codeThatBlocksOnItsOwnWriteWhileTheClientResetsTheStreamIsToldItFailed() {
		// The operations are disposed when the write reaches the loop: nothing is sent, and the
		// code waiting for the write must hear it failed rather than wait out its 30 s.
		try (TestServer server = TestServer.start(HTTP2, HANDLER)) {
			HttpClient client = HttpClient.create().protocol(HttpProtocol.H2C).host("127.0.0.1").port(server.port());
			for (int i = 0; i < 3; i++) {
				entered = new CountDownLatch(1);
				clientLeft = new CountDownLatch(1);
				writeWaitEnded = new CompletableFuture<>();
				long goneBefore = server.server.getRequestOutcomes().getClientGone();
				Disposable request = client.get()
					.uri("/blocks-on-its-write-while-the-client-leaves")
					.responseContent()
					.aggregate()
					.asString()
					.subscribe();
				await().until(() -> entered.getCount() == 0);
				request.dispose(); // RST_STREAM
				await().until(() -> server.server.getRequestOutcomes().getClientGone() > goneBefore);
				clientLeft.countDown();
				assertThat(writeWaitEnded).succeedsWithin(Duration.ofSeconds(10))
					.asString()
					.startsWith(RequestAnsweredException.class.getSimpleName());
				await().until(() -> server.arbiter().getWorkers().stream().allMatch((worker) -> worker.getInFlight() == 0));
			}
			// The connection still serves.
			assertThat(client.get().uri("/with-length").responseContent().aggregate().asString().block())
				.isEqualTo("hello");
		}
	}

	@Test
	void aCommitActionRegisteredWhileTheBodyIsProducedRunsOnTheWorker() {
		try (TestServer server = TestServer.start(HTTP2, HANDLER)) {
			HttpClient client = HttpClient.create().protocol(HttpProtocol.H2C).host("127.0.0.1").port(server.port());
			for (int i = 0; i < 50; i++) {
				COMMIT_ACTION_THREAD.clear();
				assertThat(client.get().uri("/late-commit-action").responseContent().aggregate().asString().block())
					.isEqualTo("late");
				assertThat(COMMIT_ACTION_THREAD.get("late")).startsWith("prefork-w");
			}
		}
	}

	@Test
	void anEmptyBodyIsSentWithALengthOfZero() {
		try (TestServer server = TestServer.start(HTTP2, HANDLER)) {
			String answer = HttpClient.create()
				.protocol(HttpProtocol.H2C)
				.host("127.0.0.1")
				.port(server.port())
				.get()
				.uri("/empty")
				.responseSingle((response, content) -> content.asString()
					.defaultIfEmpty("")
					.map((body) -> response.status().code() + " "
							+ response.responseHeaders().get(HttpHeaderNames.CONTENT_LENGTH) + " [" + body + "]"))
				.block();
			assertThat(answer).isEqualTo("200 0 []");
		}
	}

}
