package dev.prefork.autoconfigure.actuate;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import dev.prefork.server.Worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /actuator/prefork} read from outside a running application: its shape, values that move
 * under real requests, one worker by id, the exceptions ring, and the write operations.
 */
class PreforkEndpointIntegrationTests {

	@Test
	void endpointShowsArbiterTotalsQueuesAndEachWorker() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=2",
				"--prefork.threads=3", "--prefork.queue-capacity=5")) {
			for (int i = 0; i < 10; i++) {
				assertThat(app.get("/hello").statusCode()).isEqualTo(200);
			}
			assertThat(app.get("/boom?token=secret").statusCode()).isEqualTo(500);
			JsonNode prefork = app.json("/actuator/prefork");
			assertThat(prefork.path("arbiter").path("workers").path("target").asInt()).isEqualTo(2);
			assertThat(prefork.path("arbiter").path("workers").path("alive").asInt()).isEqualTo(2);
			assertThat(prefork.path("arbiter").path("spawned").asLong()).isEqualTo(2);
			assertThat(prefork.path("totals").path("requests").asLong()).isGreaterThanOrEqualTo(11);
			assertThat(prefork.path("totals").path("exceptions").asLong()).isEqualTo(1);
			assertThat(prefork.path("queues").path("workerQueues").asInt()).isZero();
			assertThat(prefork.path("queues").path("acceptQueue").asInt()).isZero(); // Linux: read from /proc
			JsonNode workers = prefork.path("workers");
			assertThat(workers.size()).isEqualTo(2);
			JsonNode first = workers.get(0);
			assertThat(first.path("state").asString()).isEqualTo("ACTIVE");
			assertThat(first.path("threads").path("max").asInt()).isEqualTo(3);
			assertThat(first.path("queue").path("capacity").asInt()).isEqualTo(5);
			assertThat(first.path("startedAt").asString()).isNotEmpty();
			assertThat(first.path("lastHeartbeat").asString()).isNotEmpty();
			long successes = workers.get(0).path("outcomes").path("success").asLong()
					+ workers.get(1).path("outcomes").path("success").asLong();
			assertThat(successes).isGreaterThanOrEqualTo(10);
		}
	}

	@Test
	void oneWorkerIsAddressedByIdAndAnUnknownOneIs404() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=2")) {
			JsonNode worker = app.json("/actuator/prefork/2");
			assertThat(worker.path("id").asInt()).isEqualTo(2);
			assertThat(app.get("/actuator/prefork/3").statusCode()).isEqualTo(404);
			assertThat(app.get("/actuator/prefork/nope").statusCode()).isEqualTo(404);
		}
	}

	@Test
	void exceptionsRingShowsTypeMessageWorkerThreadAndPathButNoQueryStringOrStackTrace() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running()) {
			app.get("/boom?token=secret");
			app.get("/boom");
			JsonNode exceptions = app.json("/actuator/prefork/exceptions");
			assertThat(exceptions.path("total").asLong()).isEqualTo(2);
			assertThat(exceptions.path("countsByType").path(IllegalStateException.class.getName()).asLong())
				.isEqualTo(2);
			JsonNode recent = exceptions.path("recent").get(0);
			assertThat(recent.path("type").asString()).isEqualTo(IllegalStateException.class.getName());
			assertThat(recent.path("message").asString()).isEqualTo("boom with a secret");
			assertThat(recent.path("path").asString()).isEqualTo("/boom");
			assertThat(recent.path("method").asString()).isEqualTo("GET");
			assertThat(recent.path("thread").asString()).matches("prefork-w\\d+-t\\d+");
			assertThat(recent.path("workerId").asInt()).isPositive();
			assertThat(recent.has("stackTrace")).isFalse();
			assertThat(app.get("/actuator/prefork/exceptions").body()).doesNotContain("token");
		}
	}

	@Test
	void messagesCanBeHiddenAndStackTracesShown() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running(
				"--prefork.exceptions.include-message=false", "--prefork.exceptions.include-stack-trace=true")) {
			app.get("/boom");
			JsonNode recent = app.json("/actuator/prefork/exceptions").path("recent").get(0);
			assertThat(recent.has("message")).isFalse();
			assertThat(recent.path("stackTrace").asString()).contains("IllegalStateException")
				.contains("ActuatorTestApplication");
		}
	}

	@Test
	void overloadRejectionsShowUpInTheTotals() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=1",
				"--prefork.threads=2", "--prefork.queue-capacity=0")) {
			CompletableFuture<HttpResponse<String>> blocked = app.client
				.sendAsync(HttpRequest.newBuilder(app.uri("/block")).build(), HttpResponse.BodyHandlers.ofString());
			Worker worker = app.server().getArbiter().getWorkers().get(0);
			await().until(() -> worker.getBusyThreads() == 1);
			// One thread is left, and the endpoint's own request takes it: this one is refused.
			CompletableFuture<HttpResponse<String>> second = app.client
				.sendAsync(HttpRequest.newBuilder(app.uri("/block")).build(), HttpResponse.BodyHandlers.ofString());
			await().until(() -> worker.getBusyThreads() == 2);
			assertThat(app.get("/hello").statusCode()).isEqualTo(503);
			app.application().release.countDown();
			assertThat(blocked.get().statusCode()).isEqualTo(200);
			assertThat(second.get().statusCode()).isEqualTo(200);
			assertThat(app.json("/actuator/prefork").path("totals").path("rejected").asLong()).isEqualTo(1);
		}
	}

	@Test
	void writeOperationsAreRefusedUnlessAccessIsGranted() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=2")) {
			assertThat(app.post("/actuator/prefork", "{\"change\": 1}").statusCode()).isBetween(400, 499);
			assertThat(app.post("/actuator/prefork/all", "{}").statusCode()).isBetween(400, 499);
			assertThat(app.server().getArbiter().getTargetWorkers()).isEqualTo(2);
			assertThat(app.server().getArbiter().getRecycled()).isZero();
		}
	}

	@Test
	void grantedWriteOperationsScaleAndRecycleWorkers() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=2",
				"--management.endpoint.prefork.access=unrestricted")) {
			HttpResponse<String> up = app.post("/actuator/prefork", "{\"change\": 1}");
			assertThat(up.statusCode()).isEqualTo(200);
			assertThat(up.body()).contains("\"previousWorkers\":2").contains("\"workers\":3");
			await().until(() -> app.server().getArbiter().getActiveWorkers().size() == 3);

			assertThat(app.post("/actuator/prefork", "{\"workers\": 1}").statusCode()).isEqualTo(200);
			await().until(() -> app.server().getArbiter().getWorkers().size() == 1);

			assertThat(app.post("/actuator/prefork/all", "{}").statusCode()).isEqualTo(200);
			await().until(() -> app.server().getArbiter().getRecycled() == 1);
			assertThat(app.post("/actuator/prefork/7", "{}").statusCode()).isEqualTo(400);
			assertThat(app.post("/actuator/prefork", "{\"workers\": 0}").statusCode()).isEqualTo(400);
		}
	}

	@Test
	void scalingBeyondTheRangeIsABadRequestThatChangesNothing() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=2",
				"--management.endpoint.prefork.access=unrestricted")) {
			assertThat(app.post("/actuator/prefork", "{\"workers\": 100000}").statusCode()).isEqualTo(400);
			assertThat(app.post("/actuator/prefork", "{\"change\": 2147483647}").statusCode()).isEqualTo(400);
			assertThat(app.post("/actuator/prefork", "{\"change\": -2147483648}").statusCode()).isEqualTo(400);
			assertThat(app.post("/actuator/prefork", "{\"change\": -2}").statusCode()).isEqualTo(400);
			assertThat(app.json("/actuator/prefork").path("arbiter").path("workers").path("target").asInt())
				.isEqualTo(2);
			assertThat(app.server().getArbiter().getWorkers()).hasSize(2);
		}
	}

}
