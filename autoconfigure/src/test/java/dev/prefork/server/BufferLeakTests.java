package dev.prefork.server;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelOption;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;

import org.springframework.boot.web.server.Http2;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.prefork.test.NettyLeakCheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;

/**
 * No buffer leaks on the abnormal paths Prefork exists to handle: a streaming upload that times
 * out or whose client leaves while chunks wait for the worker, a late answer the server refuses
 * after a timeout, an upload refused for overload or left while its chunks wait for a busy worker, answers to HTTP/2 streams reset as they are
 * written. Each scenario stops its server, lets Netty
 * find what was collected unreleased (paranoid detection), and demands nothing.
 */
class BufferLeakTests {

	private static final String CHUNK = "4000\r\n" + "x".repeat(0x4000) + "\r\n";

	private static final HttpHandler HANDLER = RouterFunctions.toHttpHandler(RouterFunctions
		.route(POST("/slow-upload"), (request) -> request.bodyToFlux(DataBuffer.class).doOnNext((chunk) -> {
			try {
				TestServer.sleep(100);
			}
			finally {
				DataBufferUtils.release(chunk);
			}
		}).then(ServerResponse.ok().bodyValue("read")))
		.andRoute(GET("/late"), (request) -> {
			TestServer.sleepIgnoringInterrupts(600);
			return ServerResponse.ok().bodyValue("late answer");
		})
		.andRoute(POST("/upload"), (request) -> request.bodyToFlux(DataBuffer.class)
			.doOnNext(DataBufferUtils::release)
			.then(ServerResponse.ok().bodyValue("read")))
		.andRoute(GET("/answer"), (request) -> {
			TestServer.sleep(ThreadLocalRandom.current().nextInt(3));
			return ServerResponse.ok().bodyValue("x".repeat(1000));
		})
		.andRoute(GET("/block"), (request) -> {
			TestServer.sleep(1500);
			return ServerResponse.ok().bodyValue("done");
		})
		// A body produced as the write is subscribed, registering a commit action that completes on
		// another thread, as a reactive session store's save would.
		.andRoute(GET("/answer-saved-elsewhere"), (request) -> ServerResponse.ok().build((exchange, context) -> {
			ServerHttpResponse response = exchange.getResponse();
			return response.writeWith(Mono.fromCallable(() -> {
				response.beforeCommit(() -> Mono.delay(Duration.ofMillis(ThreadLocalRandom.current().nextInt(3))).then());
				return response.bufferFactory().wrap(new byte[1000]);
			}));
		})));

	@Test
	void streamingUploadThatTimesOutLeaksNoBuffer() throws Exception {
		scenario((factory) -> factory.setRequestTimeout(Duration.ofMillis(300)), (server) -> {
			try (RawHttp http = new RawHttp(server.port())) {
				http.send("POST /slow-upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
						+ CHUNK.repeat(40));
				assertThat(http.readResponse().status()).isEqualTo(503);
			}
		});
	}

	@Test
	void streamingUploadWhoseClientLeavesLeaksNoBuffer() throws Exception {
		scenario((factory) -> {
		}, (server) -> {
			try (RawHttp http = new RawHttp(server.port())) {
				http.send("POST /slow-upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
						+ CHUNK.repeat(40));
				await().until(() -> server.arbiter().getWorkers().stream().anyMatch((worker) -> worker.getBusyThreads() > 0));
			}
			await().until(() -> server.server.getRequestOutcomes().getClientGone() == 1);
		});
	}

	@Test
	void lateAnswerRefusedAfterATimeoutLeaksNoBuffer() throws Exception {
		scenario((factory) -> {
			factory.setRequestTimeout(Duration.ofMillis(100));
			factory.setGracefulTimeout(Duration.ofSeconds(5));
		}, (server) -> {
			for (int i = 0; i < 5; i++) {
				try (RawHttp http = new RawHttp(server.port())) {
					assertThat(http.send("GET /late HTTP/1.1\r\nHost: test\r\n\r\n").readResponse().status())
						.isEqualTo(503);
				}
			}
			await().until(() -> server.arbiter().getWorkers().stream().allMatch((worker) -> worker.getBusyThreads() == 0));
		});
	}

	@Test
	void uploadRefusedForOverloadLeaksNoBuffer() throws Exception {
		scenario((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(0);
		}, (server) -> {
			try (RawHttp busy = new RawHttp(server.port()); RawHttp refused = new RawHttp(server.port())) {
				busy.send("GET /block HTTP/1.1\r\nHost: test\r\n\r\n");
				await().until(() -> server.arbiter().getWorkers().get(0).getBusyThreads() == 1);
				refused.send("POST /slow-upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
						+ CHUNK.repeat(8) + "0\r\n\r\n");
				assertThat(refused.readResponse().status()).isEqualTo(503);
				assertThat(busy.readResponse().status()).isEqualTo(200);
			}
		});
	}

	@Test
	void uploadWhoseClientLeavesWhileItsChunksWaitForABusyWorkerLeaksNoBuffer() throws Exception {
		scenario(ONE_THREAD, (server) -> {
			try (RawHttp upload = new RawHttp(server.port()); RawHttp busy = new RawHttp(server.port())) {
				queueChunksBehindABlockingRequest(server, upload, busy);
			} // the uploading client leaves before the worker gets to its chunks
			await().atMost(Duration.ofSeconds(10)).until(() -> server.arbiter().getInFlight() == 0);
		});
	}

	@Test
	void uploadWhoseChunksWaitForABusyWorkerWhenTheServerStopsLeaksNoBuffer() throws Exception {
		NettyLeakCheck.collectLeaks();
		TestServer server = TestServer.start(ONE_THREAD, HANDLER);
		try (RawHttp upload = new RawHttp(server.port()); RawHttp busy = new RawHttp(server.port())) {
			queueChunksBehindABlockingRequest(server, upload, busy);
			server.close(); // no worker is left to run the queued drain of the upload's chunks
		}
		assertThat(NettyLeakCheck.collectLeaks()).isEmpty();
	}

	private static final Consumer<PreforkReactiveWebServerFactory> ONE_THREAD = (factory) -> {
		factory.setWorkers(1);
		factory.setThreads(1);
		factory.setQueueCapacity(1);
	};

	/** An upload whose handler subscribed to its body, with chunks queued behind a blocking request. */
	private static void queueChunksBehindABlockingRequest(TestServer server, RawHttp upload, RawHttp busy)
			throws IOException {
		Worker worker = server.arbiter().getWorkers().get(0);
		// The upload's handler subscribes to its body and gives the thread back...
		upload.send("POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n");
		await().until(() -> worker.getInFlight() == 1 && worker.getBusyThreads() == 0);
		// ...which a blocking request then holds, while the upload's chunks wait for it.
		busy.send("GET /block HTTP/1.1\r\nHost: test\r\n\r\n");
		await().until(() -> worker.getBusyThreads() == 1);
		upload.send(CHUNK.repeat(8));
		await().until(() -> worker.pendingTasks() > 0); // the drain of the chunks, behind the blocked thread
	}

	@Test
	void answersToHttp2StreamsResetWhileTheyAreWrittenLeakNoBuffer() throws Exception {
		resetStreamsWhileAnswered("/answer");
	}

	@Test
	void answersWhoseCommitActionCompletesElsewhereLeakNoBufferWhenHttp2StreamsAreReset() throws Exception {
		resetStreamsWhileAnswered("/answer-saved-elsewhere");
	}

	private static void resetStreamsWhileAnswered(String path) throws Exception {
		scenario((factory) -> {
			Http2 http2 = new Http2();
			http2.setEnabled(true);
			factory.setHttp2(http2);
		}, (server) -> {
			// Left out of leak detection: the client's own leaks on the streams it resets are not the server's.
			HttpClient client = HttpClient.create()
				.protocol(HttpProtocol.H2C)
				.host("127.0.0.1")
				.port(server.port())
				.option(ChannelOption.ALLOCATOR, new UnpooledByteBufAllocator(false, true));
			long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
			while (System.nanoTime() < end) {
				List<Disposable> calls = new ArrayList<>();
				for (int i = 0; i < 20; i++) {
					calls.add(client.get().uri(path).responseContent().aggregate().asString().subscribe());
				}
				Thread.sleep(ThreadLocalRandom.current().nextInt(5));
				calls.forEach(Disposable::dispose); // RST_STREAM for those still unanswered
			}
			await().until(() -> server.arbiter().getInFlight() == 0);
		});
	}

	private static void scenario(Consumer<PreforkReactiveWebServerFactory> customizer, Scenario scenario)
			throws Exception {
		NettyLeakCheck.collectLeaks(); // forget what earlier tests left behind
		TestServer server = TestServer.start(customizer, HANDLER);
		try {
			scenario.run(server);
		}
		finally {
			server.close();
		}
		assertThat(NettyLeakCheck.collectLeaks()).isEmpty();
	}

	@FunctionalInterface
	private interface Scenario {

		void run(TestServer server) throws IOException, InterruptedException;

	}

}
