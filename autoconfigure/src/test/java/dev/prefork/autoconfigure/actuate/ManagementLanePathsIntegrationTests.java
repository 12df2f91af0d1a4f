package dev.prefork.autoconfigure.actuate;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import dev.prefork.server.Worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Which requests of a real application the management lane answers while its only worker is
 * saturated: Boot's health probes on the main port ({@code /livez}, {@code /readyz}) whether the
 * actuator is there or on a port of its own, and the actuator under {@code spring.webflux.base-path}.
 * Application requests get 503 meanwhile, which a Kubernetes probe must never get for overload.
 */
class ManagementLanePathsIntegrationTests {

	@Test
	void probesOnTheMainPortAreAnsweredWhenTheActuatorHasAPortOfItsOwn() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=1",
				"--prefork.threads=1", "--prefork.queue-capacity=0", "--management.server.port=0",
				"--management.server.address=127.0.0.1", "--management.endpoint.health.probes.enabled=true",
				"--management.endpoint.health.probes.add-additional-paths=true")) {
			CompletableFuture<HttpResponse<String>> blocked = saturate(app, "/block");
			assertThat(app.get("/hello").statusCode()).as("an application request").isEqualTo(503);
			assertThat(app.get("/livez").statusCode()).isEqualTo(200);
			assertThat(app.get("/readyz").statusCode()).isEqualTo(200);
			assertThat(app.get("/readyz?verbose").statusCode()).isEqualTo(200);
			app.application().release.countDown();
			assertThat(blocked.get().statusCode()).isEqualTo(200);
		}
	}

	@Test
	void theActuatorUnderAWebfluxBasePathIsOnTheLane() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=1",
				"--prefork.threads=1", "--prefork.queue-capacity=0", "--spring.webflux.base-path=/shop")) {
			CompletableFuture<HttpResponse<String>> blocked = saturate(app, "/shop/block");
			assertThat(app.get("/shop/hello").statusCode()).as("an application request").isEqualTo(503);
			assertThat(app.get("/shop/actuator/health").statusCode()).isEqualTo(200);
			app.application().release.countDown();
			assertThat(blocked.get().statusCode()).isEqualTo(200);
		}
	}

	@Test
	void aWebfluxBasePathWithoutItsLeadingSlashIsTakenAsBootTakesIt() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=1",
				"--prefork.threads=1", "--prefork.queue-capacity=0", "--spring.webflux.base-path=shop/",
				"--management.endpoint.health.probes.enabled=true",
				"--management.endpoint.health.probes.add-additional-paths=true")) {
			CompletableFuture<HttpResponse<String>> blocked = saturate(app, "/shop/block");
			assertThat(app.get("/shop/actuator/health").statusCode()).isEqualTo(200);
			assertThat(app.get("/shop/livez").statusCode()).isEqualTo(200);
			app.application().release.countDown();
			assertThat(blocked.get().statusCode()).isEqualTo(200);
		}
	}

	@Test
	void withoutAdditionalPathsAProbePathIsAnApplicationRequest() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=1",
				"--prefork.threads=1", "--prefork.queue-capacity=0")) {
			CompletableFuture<HttpResponse<String>> blocked = saturate(app, "/block");
			assertThat(app.get("/livez").statusCode()).isEqualTo(503);
			assertThat(app.get("/actuator/health").statusCode()).isEqualTo(200);
			app.application().release.countDown();
			assertThat(blocked.get().statusCode()).isEqualTo(200);
		}
	}

	/** Sends a request that takes the worker's only thread until released. */
	private static CompletableFuture<HttpResponse<String>> saturate(ActuatorTestApplication.Running app, String path) {
		CompletableFuture<HttpResponse<String>> blocked = app.client
			.sendAsync(HttpRequest.newBuilder(app.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
		Worker worker = app.server().getArbiter().getWorkers().get(0);
		await().until(() -> worker.getBusyThreads() == 1);
		return blocked;
	}

}
