package dev.prefork.autoconfigure.actuate;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.prefork.actuate.dashboard.PreforkDashboard;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live dashboard served beside {@code /actuator/prefork} by a running application: where it
 * is served (the actuator's base path and path mapping, {@code spring.webflux.base-path}, a
 * management port of its own), its headers, that it leaves the endpoint's selectors alone, and
 * that it is not there when the endpoint is not available over HTTP.
 */
class PreforkDashboardIntegrationTests {

	private static final List<String> FILES = List.of("/dashboard", "/dashboard/dashboard.js", "/dashboard/dashboard.css");

	@Test
	void pageScriptAndStylesheetAreServedBelowTheEndpointWithTheirContentTypes() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running()) {
			assertServed(app, app.uri("/actuator/prefork/dashboard"), "text/html;charset=UTF-8", "dashboard.html");
			assertServed(app, app.uri("/actuator/prefork/dashboard/dashboard.js"), "text/javascript;charset=UTF-8",
					"dashboard.js");
			assertServed(app, app.uri("/actuator/prefork/dashboard/dashboard.css"), "text/css;charset=UTF-8",
					"dashboard.css");
			assertThat(app.get("/actuator/prefork/dashboard").body()).contains("src=\"dashboard/dashboard.js\"",
					"href=\"dashboard/dashboard.css\"");
		}
	}

	@Test
	void theEndpointAndItsSelectorsAreStillTheEndpoints() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=2")) {
			app.get("/boom");
			assertThat(app.json("/actuator/prefork").path("workers").size()).isEqualTo(2);
			assertThat(app.json("/actuator/prefork/1").path("id").asInt()).isEqualTo(1);
			assertThat(app.json("/actuator/prefork/2").path("id").asInt()).isEqualTo(2);
			assertThat(app.json("/actuator/prefork/exceptions").path("total").asLong()).isEqualTo(1);
			assertThat(app.get("/actuator/prefork/3").statusCode()).isEqualTo(404);
			assertThat(app.get("/actuator/prefork/dashboard/other.js").statusCode()).isEqualTo(404);
		}
	}

	@Test
	void headIsAnsweredWithoutABodyAndOtherMethodsAreNotAllowed() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running(
				"--management.endpoint.prefork.access=unrestricted")) {
			for (String file : FILES) {
				URI uri = app.uri("/actuator/prefork" + file);
				HttpResponse<String> head = app.client.send(
						HttpRequest.newBuilder(uri).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
						HttpResponse.BodyHandlers.ofString());
				assertThat(head.statusCode()).as("HEAD %s", file).isEqualTo(200);
				assertThat(head.body()).isEmpty();
				assertThat(head.headers().firstValue("Content-Type")).hasValueSatisfying(
						(type) -> assertThat(type).startsWith("text/"));
				// Even with write access granted, POST .../dashboard is not a recycle of worker "dashboard".
				HttpResponse<String> post = app.post("/actuator/prefork" + file, "{}");
				assertThat(post.statusCode()).as("POST %s", file).isEqualTo(405);
				assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
			}
			assertThat(app.server().getArbiter().getRecycled()).isZero();
		}
	}

	@Test
	void anUnchangedFileIsRevalidatedWithItsETag() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running()) {
			HttpResponse<String> first = app.get("/actuator/prefork/dashboard/dashboard.js");
			String etag = first.headers().firstValue("ETag").orElseThrow();
			HttpResponse<String> again = app.client.send(
					HttpRequest.newBuilder(app.uri("/actuator/prefork/dashboard/dashboard.js"))
						.header("If-None-Match", etag)
						.build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(again.statusCode()).isEqualTo(304);
			assertThat(again.body()).isEmpty();
			assertThat(app.get("/actuator/prefork/dashboard").headers().firstValue("ETag").orElseThrow())
				.as("the page's ETag").isNotEqualTo(etag);
		}
	}

	@Test
	void dashboardFollowsTheActuatorBasePathAndTheEndpointsPathMapping() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running(
				"--management.endpoints.web.base-path=/manage", "--management.endpoints.web.path-mapping.prefork=arbiter")) {
			for (String file : FILES) {
				assertThat(app.get("/manage/arbiter" + file).statusCode()).as(file).isEqualTo(200);
				assertThat(app.get("/actuator/prefork" + file).statusCode()).as(file).isEqualTo(404);
			}
			assertThat(app.json("/manage/arbiter/1").path("id").asInt()).isEqualTo(1);
		}
	}

	@Test
	void dashboardFollowsTheApplicationsBasePath() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running(
				"--spring.webflux.base-path=/app")) {
			for (String file : FILES) {
				assertThat(app.get("/app/actuator/prefork" + file).statusCode()).as(file).isEqualTo(200);
			}
			assertThat(app.json("/app/actuator/prefork/exceptions").path("total").asLong()).isZero();
		}
	}

	@Test
	void onASeparateManagementPortTheDashboardIsServedThereAndNotOnTheMainPort() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--management.server.port=0",
				"--management.server.address=127.0.0.1")) {
			int managementPort = app.context.getEnvironment().getRequiredProperty("local.management.port", int.class);
			assertThat(managementPort).isNotEqualTo(app.server().getPort());
			for (String file : FILES) {
				HttpResponse<String> there = app.client.send(
						HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prefork" + file))
							.build(),
						HttpResponse.BodyHandlers.ofString());
				assertThat(there.statusCode()).as("%s on the management port", file).isEqualTo(200);
				assertThat(app.get("/actuator/prefork" + file).statusCode()).as("%s on the main port", file)
					.isEqualTo(404);
			}
			HttpResponse<String> endpoint = app.client.send(
					HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prefork/1")).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(endpoint.statusCode()).isEqualTo(200);
		}
	}

	@Test
	void withoutWebExposureOfTheEndpointThereIsNoDashboard() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running(
				"--management.endpoints.web.exposure.exclude=prefork")) {
			assertThat(app.get("/actuator/prefork").statusCode()).isEqualTo(404);
			for (String file : FILES) {
				assertThat(app.get("/actuator/prefork" + file).statusCode()).as(file).isEqualTo(404);
			}
		}
	}

	@Test
	void withoutAccessToTheEndpointThereIsNoDashboard() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running(
				"--management.endpoint.prefork.access=none")) {
			for (String file : FILES) {
				assertThat(app.get("/actuator/prefork" + file).statusCode()).as(file).isEqualTo(404);
			}
			assertThat(app.json("/actuator/health").path("status").asString()).isEqualTo("UP");
		}
	}

	private static void assertServed(ActuatorTestApplication.Running app, URI uri, String contentType, String resource)
			throws Exception {
		HttpResponse<byte[]> response = app.client.send(HttpRequest.newBuilder(uri).build(),
				HttpResponse.BodyHandlers.ofByteArray());
		assertThat(response.statusCode()).as("GET %s", uri).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValue(contentType);
		assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache");
		assertThat(response.headers().firstValue("ETag")).hasValueSatisfying((etag) -> assertThat(etag).matches("\"\\w+\""));
		assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
		try (InputStream expected = PreforkDashboard.class.getResourceAsStream(resource)) {
			assertThat(response.body()).isEqualTo(expected.readAllBytes());
		}
	}

}
