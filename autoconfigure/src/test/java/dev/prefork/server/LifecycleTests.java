package dev.prefork.server;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.GracefulShutdownResult;
import org.springframework.boot.web.server.Shutdown;
import org.springframework.boot.web.server.WebServerException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Start is all-or-nothing, graceful shutdown finishes what is in flight, stop leaves no thread,
 * and a crash-looping arbiter halts instead of respawning forever.
 */
class LifecycleTests {

	@Test
	void stopLeavesNoPreforkThreadRunning() throws Exception {
		TestServer server = TestServer.start((factory) -> factory.setWorkers(3));
		assertThat(server.get("/hello").statusCode()).isEqualTo(200);
		assertThat(LiveThreads.prefork()).isNotEmpty();
		server.close();
		await().atMost(Duration.ofSeconds(10)).until(() -> LiveThreads.prefork().isEmpty());
	}

	@Test
	void allWorkersAreBootedBeforeThePortAcceptsTraffic() throws Exception {
		try (TestServer server = TestServer.start((factory) -> factory.setWorkers(3))) {
			assertThat(server.arbiter().getWorkers()).hasSize(3)
				.allSatisfy((worker) -> assertThat(worker.getState()).isEqualTo(Worker.State.ACTIVE));
		}
	}

	@Test
	void whenAWorkerFailsToBootAtStartupThenStartFailsNamingIt() {
		PreforkReactiveWebServerFactory factory = new PreforkReactiveWebServerFactory(0);
		factory.setAddress(InetAddress.getLoopbackAddress());
		factory.setWorkers(3);
		factory.setWorkerInitializer((id) -> {
			if (id == 2) {
				throw new IllegalStateException("cache warm-up failed");
			}
		});
		PreforkWebServer server = (PreforkWebServer) factory.getWebServer((request, response) -> response.setComplete());
		assertThatExceptionOfType(WebServerException.class).isThrownBy(server::start)
			.withMessageContaining("Worker 2 failed to boot")
			.withMessageContaining("cache warm-up failed");
		assertThat(server.getPort()).isEqualTo(-1);
		await().atMost(Duration.ofSeconds(10)).until(() -> LiveThreads.prefork().isEmpty());
	}

	@Test
	void whenWorkersKeepFailingToBootThenTheArbiterHaltsTheServer() throws Exception {
		AtomicInteger boots = new AtomicInteger();
		AtomicReference<String> halted = new AtomicReference<>();
		PreforkReactiveWebServerFactory factory = new PreforkReactiveWebServerFactory(0);
		factory.setAddress(InetAddress.getLoopbackAddress());
		factory.setWorkers(1);
		factory.setMaxRequests(1);
		factory.setWorkerInitializer((id) -> {
			if (boots.incrementAndGet() > 1) {
				throw new IllegalStateException("database is gone");
			}
		});
		factory.setHaltListener(halted::set);
		PreforkWebServer server = (PreforkWebServer) factory.getWebServer((request, response) -> response.setComplete());
		server.start();
		int port = server.getPort();
		try (RawHttp raw = new RawHttp(port)) {
			// The first request reaches max-requests: every replacement fails to boot, so the arbiter gives up.
			assertThat(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().status()).isEqualTo(200);
		}
		await().atMost(Duration.ofSeconds(20)).until(() -> halted.get() != null);
		assertThat(halted.get()).contains("failed to boot 5 times in a row").contains("database is gone");
		assertThat(server.getArbiter().getBootFailures()).isEqualTo(Arbiter.MAX_CONSECUTIVE_BOOT_FAILURES);
		assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close()).isInstanceOf(ConnectException.class);
		server.stop();
	}

	@Test
	void gracefulShutdownFinishesInFlightRequestsAndRefusesNewConnections() throws Exception {
		TestServer server = TestServer.start((factory) -> factory.setShutdown(Shutdown.GRACEFUL));
		int port = server.port();
		CompletableFuture<HttpResponse<String>> inFlight = server.getAsync("/block");
		await().until(() -> server.invocations("/block") == 1);
		AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
		server.server.shutDownGracefully(result::set);

		await().untilAsserted(() -> assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
			.isInstanceOf(ConnectException.class));
		assertThat(result.get()).isNull(); // still waiting for the blocked request
		server.release.countDown();
		assertThat(inFlight.get().statusCode()).isEqualTo(200);
		assertThat(inFlight.get().body()).isEqualTo("released");
		await().until(() -> result.get() == GracefulShutdownResult.IDLE);
		server.close();
		await().atMost(Duration.ofSeconds(10)).until(() -> LiveThreads.prefork().isEmpty());
	}

	@Test
	void requestOnAKeptAliveConnectionDuringGracefulShutdownIsRefusedWith503() throws Exception {
		try (TestServer server = TestServer.start((factory) -> factory.setShutdown(Shutdown.GRACEFUL));
				RawHttp raw = new RawHttp(server.port())) {
			assertThat(raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().status()).isEqualTo(200);
			server.server.shutDownGracefully((result) -> {
			});
			RawHttp.Response refused = raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
			assertThat(refused.status()).isEqualTo(503);
			assertThat(refused.hasHeader("connection", "close")).isTrue();
			assertThat(server.invocations("/hello")).isEqualTo(1);
		}
	}

	@Test
	void aServerStartedAgainAfterAStopServesAgain() throws Exception {
		try (TestServer server = TestServer.start((factory) -> factory.setShutdown(Shutdown.GRACEFUL))) {
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
			server.server.stop();
			server.server.start(); // as Boot's restartAfterStop: on a new port when it was 0
			try (RawHttp raw = new RawHttp(server.port())) {
				RawHttp.Response response = raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
				assertThat(response.status()).isEqualTo(200);
				assertThat(response.body()).isEqualTo("hello");
			}
			AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
			server.server.shutDownGracefully(result::set);
			await().until(() -> result.get() != null);
			assertThat(result.get()).isEqualTo(GracefulShutdownResult.IDLE);
		}
	}

	@Test
	@ExtendWith(OutputCaptureExtension.class)
	void theStartedLineSaysWhereAndHowTheServerRuns(CapturedOutput output) throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(3);
			factory.setThreads(5);
			factory.setQueueCapacity(7);
			factory.setRequestTimeout(Duration.ofSeconds(42));
		})) {
			assertThat(output).containsPattern("Prefork started on port " + server.port()
					+ " \\(http\\) at 127\\.0\\.0\\.1, HTTP/1\\.1, thread mode: 3 workers x 5 threads, queue 7, max-in-flight 12, "
					+ "timeout \\w+, request-timeout 42s, graceful-timeout \\w+");
		}
	}

}
