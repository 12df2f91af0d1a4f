package dev.prefork.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

import org.springframework.core.io.FileSystemResource;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

/**
 * Streams that still need a thread now and then: one that brings its elements back to the worker
 * ({@code PreforkSchedulers.worker}) outlives its worker's threads, even when its next element
 * was waiting in the queue of a worker aborted at the graceful timeout; and a download that the
 * socket keeps taking is not idle, even when the application handed it over at once (a file sent
 * with zero copy).
 */
class StreamContinuationTests {

	private static final int FILE_SIZE = 32 * 1024 * 1024;

	@TempDir
	static Path files;

	private static HttpHandler handler(Path file) {
		return RouterFunctions.toHttpHandler(RouterFunctions
			.route(GET("/file"), (request) -> ServerResponse.ok()
				.contentType(MediaType.APPLICATION_OCTET_STREAM)
				.body(BodyInserters.fromResource(new FileSystemResource(file))))
			.andRoute(GET("/worker-events"), (request) -> ServerResponse.ok()
				.contentType(MediaType.TEXT_EVENT_STREAM)
				.body(Flux.interval(Duration.ZERO, Duration.ofMillis(100))
					.take(30)
					.publishOn(PreforkSchedulers.worker(request.exchange()))
					.map((i) -> ServerSentEvent.builder("event " + i + " on " + Thread.currentThread().getName())
						.build()), ServerSentEvent.class))
			.andRoute(GET("/stubborn"), (request) -> {
				TestServer.sleepIgnoringInterrupts(3000);
				return ServerResponse.ok().bodyValue("done");
			}));
	}

	@Test
	void aStreamThatComesBackToItsWorkerOutlivesTheWorkersThreads() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setGracefulTimeout(Duration.ofMillis(500));
		}, handler(files)); RawHttp stream = new RawHttp(server.port())) {
			Worker original = server.arbiter().getWorkers().get(0);
			stream.send("GET /worker-events HTTP/1.1\r\nHost: test\r\n\r\n");
			assertThat(stream.readUntilClosedOr("data:event 2", Duration.ofSeconds(5))).contains("on prefork-w1-t");
			server.arbiter().recycleAll();
			await().atMost(Duration.ofSeconds(5)).until(original::isTerminated);
			// Its threads are gone: the replacement's run what comes back to "the worker".
			assertThat(stream.readUntilClosedOr("data:event 29", Duration.ofSeconds(10))).contains("data:event 29 on prefork-w1-t");
			assertThat(original.getExceptions()).isZero();
			await().atMost(Duration.ofSeconds(5)).until(() -> !server.arbiter().getWorkers().contains(original));
		}
	}

	@Test
	void aStreamWhoseNextElementWaitedInTheQueueOfAnAbortedWorkerCarriesOn() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(4);
			factory.setGracefulTimeout(Duration.ofMillis(500));
		}, handler(files)); RawHttp stream = new RawHttp(server.port()); RawHttp stubborn = new RawHttp(server.port())) {
			Worker original = server.arbiter().getWorkers().get(0);
			stream.send("GET /worker-events HTTP/1.1\r\nHost: test\r\n\r\n");
			assertThat(stream.readUntilClosedOr("data:event 1", Duration.ofSeconds(5))).contains("on prefork-w1-t");
			// The only thread is held past the graceful timeout: the stream's next element waits
			// in the queue when the worker is aborted.
			stubborn.send("GET /stubborn HTTP/1.1\r\nHost: test\r\n\r\n");
			await().atMost(Duration.ofSeconds(5)).until(() -> original.getBusyThreads() == 1);
			server.arbiter().recycleAll();
			assertThat(stream.readUntilClosedOr("data:event 29", Duration.ofSeconds(10))).contains("data:event 29");
			await().atMost(Duration.ofSeconds(10)).until(() -> !server.arbiter().getWorkers().contains(original));
			assertThat(server.arbiter().getInFlight()).isZero();
		}
	}

	@Test
	void aFileThatTheSocketKeepsTakingIsNotAnIdleStream() throws Exception {
		Path file = files.resolve("download.bin");
		Files.write(file, new byte[FILE_SIZE]);
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setStreamIdleTimeout(Duration.ofSeconds(1));
		}, handler(file))) {
			// About 4 s at 8 MiB/s: four times the idle timeout, with no element after the first.
			assertThat(downloadSlowly(server.port(), "/file", 8 * 1024 * 1024)).isGreaterThan(FILE_SIZE);
			assertThat(server.arbiter().getWorkers().get(0).getOutcomeCount(Worker.Outcome.TIMEOUT)).isZero();
		}
	}

	/** Reads a whole response at about {@code bytesPerSecond}; returns the bytes received. */
	private static long downloadSlowly(int port, String path, int bytesPerSecond) throws Exception {
		try (Socket socket = new Socket()) {
			socket.setReceiveBufferSize(16 * 1024);
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
			socket.setSoTimeout(20_000);
			socket.getOutputStream()
				.write(("GET " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
					.getBytes(StandardCharsets.ISO_8859_1));
			InputStream in = socket.getInputStream();
			byte[] buffer = new byte[8192];
			long total = 0;
			long start = System.nanoTime();
			try {
				for (int read = in.read(buffer); read != -1; read = in.read(buffer)) {
					total += read;
					long aheadNanos = (long) (total * 1e9 / bytesPerSecond) - (System.nanoTime() - start);
					if (aheadNanos > 0) {
						Thread.sleep(aheadNanos / 1_000_000);
					}
				}
			}
			catch (IOException ex) {
				// a connection the server cut: what arrived until then is the answer
			}
			return total;
		}
	}

}
