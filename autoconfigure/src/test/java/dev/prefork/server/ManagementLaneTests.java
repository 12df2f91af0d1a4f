package dev.prefork.server;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import org.springframework.boot.web.server.GracefulShutdownResult;
import org.springframework.boot.web.server.Shutdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The management lane is supervised like a worker: replaced when it abandons a thread or when
 * its threads are all stuck, and waited for by graceful shutdown.
 */
class ManagementLaneTests {

	@Test
	void managementRequestsRunOnTheLaneNotOnTheWorkers() throws Exception {
		try (TestServer server = TestServer.start((factory) -> factory.setManagementPathPrefix("/actuator"))) {
			assertThat(server.get("/actuator/thread").body()).startsWith("prefork-management-t");
			assertThat(server.get("/thread").body()).startsWith("prefork-w");
		}
	}

	@Test
	void laneIsReplacedWhenItAbandonsAThread() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setManagementPathPrefix("/actuator");
			factory.setRequestTimeout(Duration.ofMillis(200));
			factory.setGracefulTimeout(Duration.ofMillis(300));
		})) {
			Worker lane = server.arbiter().getManagementLane();
			assertThat(server.get("/actuator/stubborn?ms=3000").statusCode()).isEqualTo(503);
			await().atMost(Duration.ofSeconds(3)).until(() -> server.arbiter().getManagementLane() != lane);
			assertThat(lane.getAbandonedThreads()).isEqualTo(1);
			// The lane's only thread is still stuck in the old lane; the new one answers.
			HttpResponse<String> answer = server.get("/actuator/thread");
			assertThat(answer.statusCode()).isEqualTo(200);
			assertThat(answer.body()).startsWith("prefork-management-t");
		}
	}

	@Test
	void laneWhoseThreadsAreAllStuckIsReplacedByTheHeartbeatTimeout() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setManagementPathPrefix("/actuator");
			factory.setManagementThreads(1);
			factory.setTimeout(Duration.ofMillis(500));
		})) {
			Worker lane = server.arbiter().getManagementLane();
			CompletableFuture<HttpResponse<String>> blocked = server.getAsync("/actuator/block");
			await().until(() -> server.invocations("/actuator/block") == 1);
			CompletableFuture<HttpResponse<String>> queued = server.getAsync("/actuator/thread");
			await().until(() -> lane.getQueued() == 1);
			await().atMost(Duration.ofSeconds(3)).until(() -> server.arbiter().getManagementLane() != lane);
			assertThat(blocked.get().statusCode()).isEqualTo(503);
			// The request queued behind the stuck one moved to the new lane.
			assertThat(queued.get().statusCode()).isEqualTo(200);
			assertThat(server.get("/actuator/thread").statusCode()).isEqualTo(200);
		}
	}

	@Test
	void gracefulShutdownWaitsForARequestInFlightOnTheLane() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setManagementPathPrefix("/actuator");
			factory.setShutdown(Shutdown.GRACEFUL);
		})) {
			CompletableFuture<HttpResponse<String>> inFlight = server.getAsync("/actuator/block");
			await().until(() -> server.invocations("/actuator/block") == 1);
			AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
			server.server.shutDownGracefully(result::set);
			await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> result.get() == null);
			server.release.countDown();
			assertThat(inFlight.get().statusCode()).isEqualTo(200);
			await().until(() -> result.get() == GracefulShutdownResult.IDLE);
		}
	}

}
