package dev.prefork.autoconfigure.actuate;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;

import dev.prefork.event.PreforkWorkerEvent;
import dev.prefork.event.WorkerExitedEvent;
import dev.prefork.event.WorkerRecycledEvent;
import dev.prefork.event.WorkerStartedEvent;
import dev.prefork.server.Worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code prefork} health contributor, readiness that follows saturation, and the application
 * events published as workers come and go.
 */
class PreforkHealthAndEventsIntegrationTests {

	@Test
	void healthContributorIsUpWithAliveTargetAndSaturation() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=2",
				"--management.endpoint.health.show-details=always")) {
			JsonNode prefork = app.json("/actuator/health").path("components").path("prefork");
			assertThat(prefork.path("status").asString()).isEqualTo("UP");
			assertThat(prefork.path("details").path("alive").asInt()).isEqualTo(2);
			assertThat(prefork.path("details").path("target").asInt()).isEqualTo(2);
			assertThat(prefork.path("details").path("saturation").asDouble()).isBetween(0.0, 1.0);
		}
	}

	@Test
	void workerEventsArePublishedWhenWorkersBootRecycleAndExit() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=2")) {
			List<PreforkWorkerEvent> events = app.application().events;
			assertThat(events).filteredOn(WorkerStartedEvent.class::isInstance).hasSize(2);
			app.server().getArbiter().recycle(1);
			await().until(() -> events.stream().anyMatch(WorkerExitedEvent.class::isInstance));
			assertThat(events).filteredOn(WorkerRecycledEvent.class::isInstance)
				.singleElement()
				.satisfies((event) -> {
					assertThat(((WorkerRecycledEvent) event).getReason()).isEqualTo(Worker.ExitReason.RECYCLE);
					assertThat(event.getWorker().getId()).isEqualTo(1);
				});
			assertThat(events).filteredOn(WorkerExitedEvent.class::isInstance)
				.singleElement()
				.satisfies((event) -> assertThat(((WorkerExitedEvent) event).getReason())
					.isEqualTo(Worker.ExitReason.RECYCLE));
			assertThat(events).filteredOn(WorkerStartedEvent.class::isInstance).hasSize(3);
		}
	}

	@Test
	void requestHooksSeeEveryRequestWithItsWorkerAndStatus() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=1")) {
			app.get("/hello?x=1");
			// postRequest runs once the response is written, so the client may see the answer first;
			// wait for it before the next request to keep the order below deterministic.
			await().until(() -> app.application().hookCalls.contains("post GET /hello 200"));
			app.get("/boom");
			await().until(() -> app.application().hookCalls.size() >= 4);
			assertThat(app.application().hookCalls).containsSubsequence("pre GET /hello on 1", "post GET /hello 200",
					"pre GET /boom on 1", "post GET /boom 500");
		}
	}

	@Test
	void sustainedSaturationRefusesReadinessUntilTheWorkersDrain() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=1",
				"--prefork.threads=2", "--prefork.queue-capacity=0", "--prefork.health.saturation-readiness=true",
				"--prefork.health.saturation-threshold=1.0", "--prefork.health.saturation-window=300ms")) {
			ApplicationAvailability availability = app.context.getBean(ApplicationAvailability.class);
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
			List<CompletableFuture<?>> blocked = new CopyOnWriteArrayList<>();
			for (int i = 0; i < 2; i++) {
				blocked.add(app.client.sendAsync(
						java.net.http.HttpRequest.newBuilder(app.uri("/block")).build(),
						java.net.http.HttpResponse.BodyHandlers.ofString()));
			}
			await().atMost(Duration.ofSeconds(10))
				.until(() -> availability.getReadinessState() == ReadinessState.REFUSING_TRAFFIC);
			app.application().release.countDown();
			CompletableFuture.allOf(blocked.toArray(CompletableFuture[]::new)).join();
			await().atMost(Duration.ofSeconds(10))
				.until(() -> availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC);
		}
	}

}
