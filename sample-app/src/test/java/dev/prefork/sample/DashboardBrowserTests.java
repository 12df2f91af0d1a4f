package dev.prefork.sample;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

import dev.prefork.actuate.dashboard.PreforkDashboard;
import dev.prefork.test.HeadlessChromium;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * The dashboard Prefork serves beside its endpoint ({@code /actuator/prefork/dashboard}), opened
 * in the sample application in a real headless Chromium, shows the live figures of
 * {@code /actuator/prefork}: after real load (successes, exceptions thrown by handlers
 * and 503 rejections of a full server) its numbers are the endpoint's, it has one row per worker,
 * it lists the recent exceptions with their request, and it says so when the endpoint cannot be
 * reached. Against a fake endpoint it also shows that data goes in as text, never as markup, and
 * that figures the endpoint leaves out (the accept queue, on platforms that cannot tell) read
 * "n/a".
 * <p>
 * Chromium is driven from the command line: {@code --headless --dump-dom} with a virtual time
 * budget, so that the page's one-second polls run several times in about a second of real time,
 * then the dumped DOM is read through the page's stable ids and {@code data-*} attributes. One run
 * also saves a screenshot to {@code target/dashboard.png}, to look at.
 * <p>
 * Needs {@code chromium} (Debian's package): the test is skipped without it (before the
 * application starts), but fails on CI (environment variable {@code CI} set), where it must run.
 */
@EnabledIf(value = "dev.prefork.test.HeadlessChromium#installedOrOnCi", disabledReason = HeadlessChromium.MISSING)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "prefork.workers=2", "prefork.threads=2", "prefork.queue-capacity=0" })
class DashboardBrowserTests {

	private static final String DASHBOARD = "/actuator/prefork" + PreforkDashboard.PATH;

	private static final int BOOMS = 3;

	private static final int CONCURRENT_WORK = 12;

	private static final Duration BROWSER_TIMEOUT = Duration.ofSeconds(60);

	private static final ObjectMapper json = new ObjectMapper();

	private static Path chromium;

	private final HttpClient client = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	@LocalServerPort
	private int port;

	/** The sample serves its actuator on a port of its own (a random one in tests). */
	@LocalManagementPort
	private int managementPort;

	@BeforeAll
	static void useChromium() {
		chromium = HeadlessChromium.require();
	}

	@Test
	void dashboardShowsTheEndpointsFiguresAfterRealLoad() throws Exception {
		int rejected = driveLoad();
		JsonNode before = endpoint("/actuator/prefork");

		Page page = openDashboard(pageUrl(this.managementPort));

		JsonNode after = endpoint("/actuator/prefork");
		assertThat(page.lastUpdate()).as("successful renders").isGreaterThanOrEqualTo(2);
		assertThat(page.state()).isEqualTo("live");
		assertThat(page.value("workers-target")).isEqualTo(2);
		assertThat(page.value("workers-alive")).isEqualTo(2);
		assertThat(page.value("total-rejected")).isGreaterThanOrEqualTo(rejected)
			.isBetween(before.at("/totals/rejected").asLong(), after.at("/totals/rejected").asLong());
		assertThat(page.value("total-exceptions")).isGreaterThanOrEqualTo(BOOMS)
			.isBetween(before.at("/totals/exceptions").asLong(), after.at("/totals/exceptions").asLong());
		assertThat(page.value("total-requests"))
			.isBetween(before.at("/totals/requests").asLong(), after.at("/totals/requests").asLong());
		assertThat(page.value("arbiter-spawned")).isEqualTo(after.at("/arbiter/spawned").asLong());
		assertThat(page.attribute("queue-workers", "data-value")).isEqualTo("0");
		assertThat(page.attribute("rate-requests", "data-value")).as("request rate").matches("\\d+\\.\\d{3}");
		assertThat(page.attribute("rate-rejected", "data-value")).as("rejection rate").matches("\\d+\\.\\d{3}");
		assertThat(page.attribute("spark-requests", "data-samples")).isNotEqualTo("0");
		assertThat(page.workerIds()).containsExactly("1", "2");
		assertThat(page.text("workers")).contains("ACTIVE", "0 / 0 (no queue)").containsPattern("\\d / 2 / 2");

		Path screenshot = screenshot(pageUrl(this.managementPort), Path.of("target", "dashboard.png").toAbsolutePath());
		assertThat(screenshot).isNotEmptyFile();
	}

	@Test
	void dashboardListsTheRecentExceptionsWithTheirTypeAndRequest() throws Exception {
		for (int i = 0; i < BOOMS; i++) {
			assertThat(get("/boom").statusCode()).isEqualTo(500);
		}

		Page page = openDashboard(pageUrl(this.managementPort));

		JsonNode exceptions = endpoint("/actuator/prefork/exceptions");
		assertThat(page.value("exceptions-total")).isGreaterThanOrEqualTo(BOOMS)
			.isEqualTo(exceptions.path("total").asLong());
		assertThat(page.text("exceptions-by-type")).contains("IllegalStateException × ");
		String list = page.text("exceptions");
		assertThat(list).contains("java.lang.IllegalStateException", "boom: this endpoint always fails",
				"GET /boom");
		assertThat(list).containsPattern("prefork-w[12]-t[12]");
		assertThat(page.count("data-exception-type=\"java.lang.IllegalStateException\""))
			.isEqualTo(Math.min(exceptions.path("recent").size(), 25));
	}

	@Test
	void dashboardSaysTheEndpointIsUnreachableWhenAPollFails() throws Exception {
		HttpServer server = fakeServer(Map.of());
		try {
			Page page = openDashboard(pageUrl(server.getAddress().getPort()), "unreachable");

			assertThat(page.lastUpdate()).as("successful renders").isZero();
			assertThat(page.attribute("unreachable", "hidden")).isNull();
			assertThat(page.text("unreachable")).contains("Endpoint unreachable", "answered 503");
			assertThat(page.text("status")).isEqualTo("unreachable");
		}
		finally {
			server.stop(0);
		}
	}

	@Test
	void dashboardInsertsServerDataAsTextAndShowsAMissingAcceptQueueAsNotAvailable() throws Exception {
		String markup = "<img src=x onerror=\\\"document.body.dataset.injected=1\\\">";
		String exception = """
				{"time":"2026-01-02T03:04:05.123456789Z","type":"demo.<b>Bold</b>Exception","message":"%s",
				"workerId":1,"thread":"prefork-w1-t1","method":"GET","path":"/x<script>"}""".formatted(markup);
		String prefork = """
				{"arbiter":{"uptimeSeconds":3723.5,"workers":{"target":1,"alive":1,"busy":0,"idle":1,"draining":0},
				"spawned":1,"exited":0,"timedOut":0,"recycled":0,"bootFailures":0},
				"totals":{"requests":7,"inFlight":0,"queued":0,"rejected":0,"requestTimeouts":0,"clientGone":0,
				"exceptions":1,"abandonedThreads":0},
				"queues":{"workerQueues":0},
				"workers":[{"id":1,"age":1,"state":"ACTIVE","startedAt":"2026-01-02T03:00:00.000000001Z",
				"lastHeartbeat":"2026-01-02T03:04:05Z","requests":7,"inFlight":0,
				"threads":{"active":0,"pool":2,"max":2},"queue":{"depth":0,"capacity":4},"outcomes":{},
				"exceptions":1,"abandonedThreads":0,"lastException":%s}]}""".formatted(exception);
		String exceptions = """
				{"total":1,"countsByType":{"demo.<b>Bold</b>Exception":1},"recent":[%s]}""".formatted(exception);
		HttpServer server = fakeServer(
				Map.of("/actuator/prefork", prefork, "/actuator/prefork/exceptions", exceptions));
		try {
			Page page = openDashboard(pageUrl(server.getAddress().getPort()));

			assertThat(page.attribute("queue-accept", "data-value")).isEmpty();
			assertThat(page.text("queue-accept")).isEqualTo("n/a");
			assertThat(page.text("arbiter-uptime")).isEqualTo("1h 02m 03s");
			assertThat(page.text("exceptions")).contains("demo.<b>Bold</b>Exception",
					"<img src=x onerror=\"document.body.dataset.injected=1\">", "GET /x<script>");
			assertThat(page.html()).doesNotContain("<img", "<b>", "<script>");
			assertThat(page.html()).doesNotContain("data-injected");
		}
		finally {
			server.stop(0);
		}
	}

	/**
	 * Some successes, {@link #BOOMS} exceptions, and more concurrent blocking requests than the
	 * workers have threads (no queue), so that some are rejected; returns how many were.
	 */
	private int driveLoad() throws Exception {
		for (int i = 0; i < 5; i++) {
			assertThat(get("/hello").statusCode()).isEqualTo(200);
		}
		for (int i = 0; i < BOOMS; i++) {
			assertThat(get("/boom").statusCode()).isEqualTo(500);
		}
		int rejected = 0;
		for (int burst = 0; burst < 5 && rejected == 0; burst++) { // one is enough unless the machine crawls
			List<CompletableFuture<HttpResponse<String>>> work = IntStream.range(0, CONCURRENT_WORK)
				.mapToObj((i) -> this.client.sendAsync(HttpRequest.newBuilder(uri(this.port, "/work?ms=300")).build(),
						HttpResponse.BodyHandlers.ofString()))
				.toList();
			Map<Integer, Long> statuses = work.stream()
				.map(CompletableFuture::join)
				.collect(Collectors.groupingBy(HttpResponse::statusCode, Collectors.counting()));
			assertThat(statuses.keySet()).as("statuses of %d concurrent /work", CONCURRENT_WORK)
				.isSubsetOf(200, 503);
			rejected += statuses.getOrDefault(503, 0L).intValue();
		}
		assertThat(rejected).as("requests rejected by 2 workers x 2 threads without queues").isPositive();
		return rejected;
	}

	/** Dumps the page's DOM until it has rendered at least twice (or reached the given state). */
	private Page openDashboard(String url) {
		return openDashboard(url, "live");
	}

	private Page openDashboard(String url, String state) {
		return await().atMost(BROWSER_TIMEOUT)
			.pollInterval(Duration.ofMillis(500))
			.until(() -> new Page(runChromium(url, "--dump-dom")),
					(page) -> state.equals(page.state()) && (!"live".equals(state) || page.lastUpdate() >= 2));
	}

	private Path screenshot(String url, Path file) throws Exception {
		Files.createDirectories(file.getParent());
		Files.deleteIfExists(file);
		runChromium(url, "--screenshot=" + file, "--window-size=1280,1000", "--hide-scrollbars");
		return file;
	}

	/**
	 * Runs headless Chromium on a fresh profile and returns what it wrote to stdout. The virtual
	 * time budget lets the page's timers run about five seconds' worth while network fetches are
	 * waited for in real time.
	 */
	private static String runChromium(String url, String... arguments) throws Exception {
		Path profile = Files.createTempDirectory("dashboard-chromium-");
		Path stdout = profile.resolve("stdout.html");
		Path stderr = profile.resolve("stderr.txt");
		List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox",
				"--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--user-data-dir=" + profile.resolve("profile"), "--virtual-time-budget=5000"));
		command.addAll(List.of(arguments));
		command.add(url);
		Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile())
			.redirectError(stderr.toFile())
			.start();
		try {
			if (!process.waitFor(BROWSER_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				fail("Chromium did not finish within %s; its stderr:%n%s", BROWSER_TIMEOUT, Files.readString(stderr));
			}
			if (process.exitValue() != 0) {
				fail("Chromium exited with %d; its stderr:%n%s", process.exitValue(), Files.readString(stderr));
			}
			return Files.readString(stdout, StandardCharsets.UTF_8);
		}
		finally {
			process.descendants().forEach(ProcessHandle::destroyForcibly);
			process.destroyForcibly();
			process.onExit().get(10, TimeUnit.SECONDS);
			deleteRecursively(profile);
		}
	}

	/**
	 * Serves the dashboard's files (from Prefork's jar, at the paths Prefork serves them) and the
	 * given JSON answers, and 503 to everything else, as a saturated server would.
	 */
	private static HttpServer fakeServer(Map<String, String> answers) throws IOException {
		HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		server.createContext("/", (exchange) -> {
			String path = exchange.getRequestURI().getPath();
			String file = path.equals(DASHBOARD) ? "dashboard.html"
					: path.matches(Pattern.quote(DASHBOARD) + "/dashboard\\.(js|css)")
							? path.substring(DASHBOARD.length() + 1) : null;
			try (InputStream resource = (file != null) ? PreforkDashboard.class.getResourceAsStream(file) : null) {
				String type = path.equals(DASHBOARD) ? "text/html" : path.endsWith(".js") ? "text/javascript"
						: path.endsWith(".css") ? "text/css" : answers.containsKey(path) ? "application/json" : "text/plain";
				byte[] body = (resource != null) ? resource.readAllBytes()
						: answers.getOrDefault(path, "Service Unavailable").getBytes(StandardCharsets.UTF_8);
				exchange.getResponseHeaders().set("Content-Type", type + ";charset=utf-8");
				exchange.sendResponseHeaders((resource != null || answers.containsKey(path)) ? 200 : 503, body.length);
				exchange.getResponseBody().write(body);
			}
			finally {
				exchange.close();
			}
		});
		server.start();
		return server;
	}

	private JsonNode endpoint(String path) throws Exception {
		HttpResponse<String> response = get(path);
		assertThat(response.statusCode()).as("GET %s", path).isEqualTo(200);
		return json.readTree(response.body());
	}

	private HttpResponse<String> get(String path) throws Exception {
		int port = path.startsWith("/actuator") ? this.managementPort : this.port;
		return this.client.send(HttpRequest.newBuilder(uri(port, path)).build(),
				HttpResponse.BodyHandlers.ofString());
	}

	private static String pageUrl(int port) {
		return uri(port, DASHBOARD).toString();
	}

	private static URI uri(int port, String path) {
		return URI.create("http://127.0.0.1:" + port + path);
	}

	private static void deleteRecursively(Path dir) throws IOException {
		try (Stream<Path> paths = Files.walk(dir)) {
			paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
		}
	}

	/**
	 * The DOM Chromium dumped, read with regular expressions: enough for a page whose values sit in
	 * attributes of elements with stable ids.
	 */
	private record Page(String html) {

		private static final Pattern BODY = Pattern.compile("<body\\b([^>]*)>");

		private static final Pattern WORKER_ROW = Pattern.compile("<tr\\b[^>]*\\bdata-worker-id=\"([^\"]*)\"");

		String state() {
			return attributeOf(bodyTag(), "data-state");
		}

		long lastUpdate() {
			String value = attributeOf(bodyTag(), "data-last-update");
			return (value != null) ? Long.parseLong(value) : 0;
		}

		long value(String id) {
			String value = attribute(id, "data-value");
			assertThat(value).as("data-value of #%s", id).isNotNull().matches("\\d+");
			return Long.parseLong(value);
		}

		String attribute(String id, String name) {
			return attributeOf(tag(id), name);
		}

		/** The text of the element with this id (tags dropped, entities decoded). */
		String text(String id) {
			Matcher open = Pattern.compile("<([a-zA-Z0-9]+)\\b[^>]*\\bid=\"" + Pattern.quote(id) + "\"[^>]*>")
				.matcher(this.html);
			assertThat(open.find()).as("element #%s in the page", id).isTrue();
			String tag = open.group(1);
			int depth = 1;
			Matcher tags = Pattern.compile("<(/?)" + tag + "\\b[^>]*>").matcher(this.html);
			int from = open.end();
			int position = from;
			while (depth > 0 && tags.find(position)) {
				depth += tags.group(1).isEmpty() ? 1 : -1;
				position = tags.end();
			}
			assertThat(depth).as("closing tag of #%s", id).isZero();
			String inner = this.html.substring(from, tags.start());
			return decode(inner.replaceAll("<[^>]+>", " ").replaceAll("\\s+", " ").trim());
		}

		List<String> workerIds() {
			List<String> ids = new ArrayList<>();
			Matcher matcher = WORKER_ROW.matcher(this.html);
			while (matcher.find()) {
				ids.add(matcher.group(1));
			}
			return ids;
		}

		int count(String fragment) {
			int count = 0;
			for (int at = this.html.indexOf(fragment); at >= 0; at = this.html.indexOf(fragment, at + 1)) {
				count++;
			}
			return count;
		}

		private String bodyTag() {
			Matcher matcher = BODY.matcher(this.html);
			return matcher.find() ? matcher.group() : "";
		}

		private String tag(String id) {
			Matcher matcher = Pattern.compile("<[a-zA-Z][^>]*\\bid=\"" + Pattern.quote(id) + "\"[^>]*>")
				.matcher(this.html);
			assertThat(matcher.find()).as("element #%s in the page", id).isTrue();
			return matcher.group();
		}

		private static String attributeOf(String tag, String name) {
			Matcher matcher = Pattern.compile("\\s" + Pattern.quote(name) + "(?:=\"([^\"]*)\")?(?=[\\s>/])")
				.matcher(tag);
			return matcher.find() ? decode((matcher.group(1) != null) ? matcher.group(1) : "") : null;
		}

		private static String decode(String text) {
			return text.replace("&lt;", "<")
				.replace("&gt;", ">")
				.replace("&quot;", "\"")
				.replace("&#39;", "'")
				.replace("&nbsp;", "\u00a0")
				.replace("&amp;", "&");
		}

	}

}
