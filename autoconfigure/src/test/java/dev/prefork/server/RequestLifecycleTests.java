package dev.prefork.server;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import org.springframework.boot.web.server.GracefulShutdownResult;
import org.springframework.boot.web.server.Shutdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A request leaves its worker's in-flight set exactly when it is finished (answered, its answer
 * written, no thread left in its code), whatever ended it: a timeout, its client leaving, its
 * worker being replaced. So graceful shutdown and draining wait for what is really in flight,
 * and for nothing else.
 */
class RequestLifecycleTests {

	@Test
	void queuedRequestThatTimedOutIsNotLeftInFlightWhenItsWorkerIsReplaced() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setTimeout(Duration.ofSeconds(1));
			factory.setRequestTimeout(Duration.ofMillis(300));
			factory.setGracefulTimeout(Duration.ofSeconds(5));
			factory.setShutdown(Shutdown.GRACEFUL);
		})) {
			Worker original = server.arbiter().getWorkers().get(0);
			// Ignores its interrupt, so the only thread stays busy and the heartbeat timeout fires.
			CompletableFuture<HttpResponse<String>> stubborn = server.getAsync("/stubborn?ms=2500");
			await().until(() -> server.invocations("/stubborn") == 1);
			try (RawHttp queued = new RawHttp(server.port())) {
				assertThat(queued.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n").readResponse().status())
					.isEqualTo(503);
			}
			await().until(() -> server.arbiter().getTimedOut() == 1);
			assertThat(stubborn.get().statusCode()).isEqualTo(503);
			Worker replacement = awaitReplacementOf(original, server);
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
			await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(replacement.getInFlight()).isZero());
			assertThat(gracefulShutdown(server)).isEqualTo(GracefulShutdownResult.IDLE);
		}
	}

	@Test
	void queuedRequestWhoseClientLeftIsNotLeftInFlightWhenItsWorkerIsReplaced() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setTimeout(Duration.ofSeconds(1));
			factory.setShutdown(Shutdown.GRACEFUL);
		})) {
			Worker original = server.arbiter().getWorkers().get(0);
			CompletableFuture<HttpResponse<String>> hung = server.getAsync("/hang");
			await().until(() -> server.invocations("/hang") == 1);
			try (RawHttp queued = new RawHttp(server.port())) {
				queued.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n");
				await().until(() -> server.arbiter().getWorkers().get(0).getQueued() == 1);
			}
			await().until(() -> server.server.getRequestOutcomes().getClientGone() == 1);
			await().until(() -> server.arbiter().getTimedOut() == 1);
			assertThat(hung.get().statusCode()).isEqualTo(503);
			Worker replacement = awaitReplacementOf(original, server);
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
			assertThat(server.invocations("/hello")).isEqualTo(1);
			await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(replacement.getInFlight()).isZero());
			assertThat(gracefulShutdown(server)).isEqualTo(GracefulShutdownResult.IDLE);
		}
	}

	@Test
	void hungHandlerWhoseClientLeftIsStillInterruptedByTheRequestTimeout() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setRequestTimeout(Duration.ofMillis(300));
		})) {
			Worker worker = server.arbiter().getWorkers().get(0);
			try (RawHttp client = new RawHttp(server.port())) {
				client.send("GET /hang HTTP/1.1\r\nHost: test\r\n\r\n");
				await().until(() -> server.invocations("/hang") == 1);
			}
			await().until(() -> server.server.getRequestOutcomes().getClientGone() == 1);
			// The thread is interrupted when the request timeout elapses, as if the client had stayed.
			await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
				assertThat(worker.getBusyThreads()).isZero();
				assertThat(worker.getInFlight()).isZero();
			});
			assertThat(server.arbiter().getAbandonedThreads()).isZero();
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
			assertThat(server.arbiter().getWorkers()).containsExactly(worker);
		}
	}

	@Test
	void queuedRequestThatTimedOutGivesItsPlaceInTheQueueBack() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(1);
			factory.setRequestTimeout(Duration.ofMillis(300));
			factory.setGracefulTimeout(Duration.ofSeconds(10));
		})) {
			Worker worker = server.arbiter().getWorkers().get(0);
			CompletableFuture<HttpResponse<String>> stubborn = server.getAsync("/stubborn?ms=3000");
			await().until(() -> server.invocations("/stubborn") == 1);
			try (RawHttp first = new RawHttp(server.port())) {
				assertThat(first.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n").readResponse().status())
					.isEqualTo(503);
			}
			// The timed-out request no longer holds the only place in the queue: the next one waits
			// there for the thread, instead of being refused for overload.
			assertThat(worker.getQueued()).isZero();
			CompletableFuture<HttpResponse<String>> second = server.getAsync("/hello");
			await().until(() -> worker.getQueued() == 1);
			assertThat(server.server.getRequestOutcomes().getRejected()).isZero();
			assertThat(stubborn.get().statusCode()).isEqualTo(503);
			assertThat(second.get().statusCode()).isIn(200, 503);
			assertThat(server.server.getRequestOutcomes().getRejected()).isZero();
		}
	}

	@Test
	void gracefulShutdownWaitsUntilTheLastResponseHasBeenWritten() throws Exception {
		int size = 8 * 1024 * 1024;
		TestServer server = TestServer.start((factory) -> factory.setShutdown(Shutdown.GRACEFUL));
		try (Socket socket = new Socket()) {
			socket.setReceiveBufferSize(4096);
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5000);
			socket.setSoTimeout(15_000);
			socket.getOutputStream()
				.write(("GET /big?bytes=" + size + " HTTP/1.1\r\nHost: test\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
			await().until(() -> server.invocations("/big") == 1);
			AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
			server.server.shutDownGracefully(result::set);
			// The handler has returned, but most of its answer still waits for a client that does not read.
			await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> result.get() == null);
			CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> readAll(socket));
			await().atMost(Duration.ofSeconds(20)).until(() -> result.get() == GracefulShutdownResult.IDLE);
			server.close(); // what Boot does once graceful shutdown reports idle
			assertThat(received.get()).isGreaterThan(size);
		}
		finally {
			server.close();
		}
	}

	@Test
	void totalRequestsDoNotDropWhenTheServerStops() throws Exception {
		TestServer server = TestServer.start((factory) -> {
		});
		for (int i = 0; i < 5; i++) {
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
		}
		assertThat(server.arbiter().getTotalRequests()).isEqualTo(5);
		server.close();
		assertThat(server.arbiter().getTotalRequests()).isEqualTo(5);
		assertThat(server.arbiter().getExited()).isEqualTo(2);
	}

	/** The worker that took the slot of {@code original}, once it takes requests. */
	static Worker awaitReplacementOf(Worker original, TestServer server) {
		AtomicReference<Worker> replacement = new AtomicReference<>();
		await().until(() -> server.arbiter()
			.getActiveWorkers()
			.stream()
			.filter((worker) -> worker.getId() == original.getId() && worker != original)
			.peek(replacement::set)
			.findFirst()
			.isPresent());
		return replacement.get();
	}

	private static GracefulShutdownResult gracefulShutdown(TestServer server) {
		AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
		server.server.shutDownGracefully(result::set);
		await().atMost(Duration.ofSeconds(5)).until(() -> result.get() != null);
		return result.get();
	}

	private static long readAll(Socket socket) {
		byte[] chunk = new byte[64 * 1024];
		long total = 0;
		try {
			InputStream in = socket.getInputStream();
			int read;
			while ((read = in.read(chunk)) != -1) {
				total += read;
			}
		}
		catch (Exception ex) {
			// the count so far is the answer
		}
		return total;
	}

}
