package dev.prefork.autoconfigure.actuate;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import dev.prefork.server.LiveThreads;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The actuator on a port of its own ({@code management.server.port}): Boot creates a second
 * server from the application's factory class, which Prefork sizes as its management lane (one
 * worker of {@code prefork.management-threads} threads, one event loop) whatever the application
 * server's size, with thread names and log lines that say it is the management server. The
 * endpoint there reports the application server, not itself.
 */
@ExtendWith(OutputCaptureExtension.class)
class ManagementServerIntegrationTests {

	private static final ObjectMapper json = new ObjectMapper();

	@Test
	void managementServerIsSizedByManagementThreadsAndSaysWhatItIs(CapturedOutput output) throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=1",
				"--prefork.threads=2", "--prefork.io-threads=2", "--prefork.management-threads=2",
				"--management.server.port=0", "--management.server.address=127.0.0.1")) {
			int managementPort = Integer.parseInt(app.context.getEnvironment().getProperty("local.management.port"));
			assertThat(managementPort).isNotEqualTo(app.server().getPort());

			HttpResponse<String> health = get(app, managementPort, "/actuator/health");
			assertThat(health.statusCode()).isEqualTo(200);
			assertThat(app.get("/actuator/health").statusCode()).as("actuator on the main port").isEqualTo(404);
			JsonNode prefork = json.readTree(get(app, managementPort, "/actuator/prefork").body());
			assertThat(prefork.path("workers").size()).as("the application server's workers").isEqualTo(1);
			assertThat(prefork.path("workers").path(0).path("threads").path("max").asInt()).isEqualTo(2);
			assertThat(prefork.hasNonNull("managementLane")).as("no lane on the main port").isFalse();

			assertThat(LiveThreads.named("prefork-mgmt-w")).containsExactlyInAnyOrder("prefork-mgmt-w1-t1",
					"prefork-mgmt-w1-t2");
			assertThat(LiveThreads.named("prefork-w")).containsExactlyInAnyOrder("prefork-w1-t1", "prefork-w1-t2");
			assertThat(LiveThreads.named("prefork-mgmt-arbiter")).hasSize(1);
			assertThat(LiveThreads.named("prefork-arbiter")).hasSize(1);
			assertThat(LiveThreads.named("prefork-mgmt-io")).as("one event loop").hasSizeLessThanOrEqualTo(1);
			assertThat(LiveThreads.named("prefork-management-t")).as("no lane: the main port serves no actuator").isEmpty();

			assertThat(output).contains("Prefork management server started on port " + managementPort
					+ " (http) at 127.0.0.1, HTTP/1.1, thread mode: 1 worker x 2 threads, queue 16");
			assertThat(output).contains("Prefork started on port " + app.server().getPort()
					+ " (http) at 127.0.0.1, HTTP/1.1, thread mode: 1 worker x 2 threads, queue 64");
			assertThat(output).contains("Management server: Arbiter booted 1 worker with");
		}
		assertThat(LiveThreads.named("prefork-mgmt-")).as("management server threads after close").isEmpty();
	}

	@Test
	void managementServerGetsOneThreadWhenTheLaneIsTurnedOff() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=2",
				"--prefork.threads=3", "--prefork.management-threads=0", "--management.server.port=0",
				"--management.server.address=127.0.0.1")) {
			int managementPort = Integer.parseInt(app.context.getEnvironment().getProperty("local.management.port"));
			assertThat(get(app, managementPort, "/actuator/health").statusCode()).isEqualTo(200);
			assertThat(LiveThreads.named("prefork-mgmt-w")).containsExactly("prefork-mgmt-w1-t1");
		}
	}

	private static HttpResponse<String> get(ActuatorTestApplication.Running app, int port, String path)
			throws Exception {
		return app.client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
				HttpResponse.BodyHandlers.ofString());
	}

}
