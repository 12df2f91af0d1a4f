package dev.prefork.server;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.server.reactive.HttpHandler;
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
 * after a timeout, an upload refused for overload. Each scenario stops its server, lets Netty
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
		.andRoute(GET("/block"), (request) -> {
			TestServer.sleep(1500);
			return ServerResponse.ok().bodyValue("done");
		}));

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
