package dev.prefork.integration;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import dev.prefork.test.HeadlessChromium;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Prefork's dashboard in an application whose actuator is behind Spring Security (HTTP Basic),
 * opened in a real headless Chromium driven over the DevTools protocol. A browser whose user
 * logs in (answers the Basic challenge) sees live figures, because the page's polls of the
 * endpoint carry the browser's credentials; a browser without them gets the 401 and no figures.
 * The same holds on a management port of its own, where the dashboard moves with the endpoint.
 * <p>
 * Needs {@code chromium} (Debian's package): skipped without it, but failing on CI.
 */
@EnabledIf(value = "dev.prefork.test.HeadlessChromium#installedOrOnCi", disabledReason = HeadlessChromium.MISSING)
class SecuredDashboardBrowserTests {

	private static final Duration BROWSER_TIMEOUT = Duration.ofSeconds(30);

	private static final int WORKERS = 3;

	private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

	@BeforeAll
	static void requireChromium() {
		HeadlessChromium.require();
	}

	@Test
	void aLoggedInBrowserSeesTheLiveFiguresOfEveryWorker() throws Exception {
		try (ConfigurableApplicationContext app = start(); HeadlessChromium chromium = HeadlessChromium.launch()) {
			chromium.logInAs(SecuredActuatorApplication.USER, SecuredActuatorApplication.PASSWORD);
			assertThat(chromium.navigate(url(port(app), "/actuator/prefork/dashboard"))).isNull();

			awaitRenders(chromium, 2);
			assertThat(chromium.evaluate("document.body.dataset.state").asString()).isEqualTo("live");
			assertThat(workerRows(chromium)).isEqualTo(WORKERS);
			assertThat(chromium.evaluate("document.getElementById('workers-target').dataset.value").asString())
				.isEqualTo(String.valueOf(WORKERS));
			assertThat(chromium.evaluate("document.getElementById('endpoint').textContent").asString())
				.isEqualTo("/actuator/prefork");
			assertThat(chromium.documentStatuses()).last().isEqualTo(200);
		}
	}

	@Test
	void aBrowserWithoutCredentialsGetsA401AndNoFigures() throws Exception {
		try (ConfigurableApplicationContext app = start(); HeadlessChromium chromium = HeadlessChromium.launch()) {
			int port = port(app);
			String error = chromium.navigate(url(port, "/actuator/prefork/dashboard"));

			// Spring Security's 401 has no body: Chromium shows its own error page instead.
			assertThat(error).isEqualTo("net::ERR_HTTP_RESPONSE_CODE_FAILURE");
			await().atMost(BROWSER_TIMEOUT).until(() -> !chromium.documentStatuses().isEmpty());
			assertThat(chromium.documentStatuses()).containsOnly(401);
			assertThat(chromium.evaluate("document.getElementById('workers') === null").asBoolean()).isTrue();
			assertThat(chromium.evaluate("document.body.dataset.lastUpdate === undefined").asBoolean()).isTrue();
			// What the browser did, from outside: the page, its files and the endpoint are all secured.
			for (String path : new String[] { "/actuator/prefork/dashboard", "/actuator/prefork/dashboard/dashboard.js",
					"/actuator/prefork" }) {
				assertThat(get(port, path, false).statusCode()).as("%s without credentials", path).isEqualTo(401);
				assertThat(get(port, path, true).statusCode()).as("%s with credentials", path).isEqualTo(200);
			}
			assertThat(get(port, "/hello", false).statusCode()).isEqualTo(200);
		}
	}

	@Test
	void onASeparateManagementPortTheDashboardIsServedAndSecuredThereOnly() throws Exception {
		try (ConfigurableApplicationContext app = start("--management.server.port=0",
				"--management.server.address=127.0.0.1"); HeadlessChromium chromium = HeadlessChromium.launch()) {
			int port = port(app);
			int managementPort = app.getEnvironment().getRequiredProperty("local.management.port", int.class);
			assertThat(managementPort).isNotEqualTo(port);
			chromium.logInAs(SecuredActuatorApplication.USER, SecuredActuatorApplication.PASSWORD);
			assertThat(chromium.navigate(url(managementPort, "/actuator/prefork/dashboard"))).isNull();

			awaitRenders(chromium, 2);
			assertThat(workerRows(chromium)).isEqualTo(WORKERS);
			assertThat(get(managementPort, "/actuator/prefork/dashboard", false).statusCode()).isEqualTo(401);
			assertThat(get(managementPort, "/actuator/prefork/1", true).statusCode()).isEqualTo(200);
			assertThat(get(port, "/actuator/prefork/dashboard", true).statusCode()).isEqualTo(404);
			assertThat(get(port, "/actuator/prefork", true).statusCode()).isEqualTo(404);
		}
	}

	private static ConfigurableApplicationContext start(String... more) {
		String[] args = { "--server.port=0", "--prefork.workers=" + WORKERS,
				"--management.endpoints.web.exposure.include=health,prefork" };
		String[] all = new String[args.length + more.length];
		System.arraycopy(args, 0, all, 0, args.length);
		System.arraycopy(more, 0, all, args.length, more.length);
		return new SpringApplicationBuilder(SecuredActuatorApplication.class).run(all);
	}

	private static void awaitRenders(HeadlessChromium chromium, int renders) {
		await().atMost(BROWSER_TIMEOUT).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
			JsonNode page = chromium.evaluate("document.body ? { state: document.body.dataset.state, "
					+ "renders: Number(document.body.dataset.lastUpdate || 0), "
					+ "reason: document.getElementById('unreachable-reason')?.textContent } : {}");
			assertThat(page.path("renders").asInt()).as("renders of the dashboard (%s)", page)
				.isGreaterThanOrEqualTo(renders);
		});
	}

	private static int workerRows(HeadlessChromium chromium) {
		return chromium.evaluate("document.querySelectorAll('#workers tr[data-worker-id]').length").asInt();
	}

	private HttpResponse<String> get(int port, String path, boolean authenticated) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(port, path)));
		if (authenticated) {
			String credentials = SecuredActuatorApplication.USER + ":" + SecuredActuatorApplication.PASSWORD;
			request.header("Authorization",
					"Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
		}
		return this.client.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	private static int port(ConfigurableApplicationContext app) {
		return ((WebServerApplicationContext) app).getWebServer().getPort();
	}

	private static String url(int port, String path) {
		return "http://127.0.0.1:" + port + path;
	}

}
