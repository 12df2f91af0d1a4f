package dev.prefork.test;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * Debian's {@code chromium}, headless, for the tests that open a page in a real browser.
 * <p>
 * {@link #find()}, {@link #installedOrOnCi()} and {@link #require()} decide whether such a test
 * runs: it is skipped where Chromium is missing ({@code @EnabledIf} on
 * {@code installedOrOnCi}, with {@link #MISSING} as the reason), but fails on CI (environment
 * variable {@code CI} set), where it must run.
 * <p>
 * {@link #launch()} starts one browser on a fresh profile and drives its page over the DevTools
 * protocol (the JDK's WebSocket client and Jackson, nothing else): navigate, evaluate script in
 * the page, see the status of each document it loaded, and answer the browser's HTTP
 * authentication challenges as a user typing into its dialog would ({@link #logInAs}). Closing it
 * ends the whole process tree and deletes the profile.
 */
public final class HeadlessChromium implements AutoCloseable {

	/** Why a browser test is skipped. */
	public static final String MISSING = "Chromium is not installed: apt-get install chromium "
			+ "(with CI set, this is a failure)";

	private static final Duration STARTUP = Duration.ofSeconds(30);

	private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

	private static final ObjectMapper json = new ObjectMapper();

	private final Process process;

	private final Path profile;

	private final WebSocket page;

	private final AtomicInteger ids = new AtomicInteger();

	private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

	private final List<Integer> documentStatuses = new CopyOnWriteArrayList<>();

	private volatile String[] credentials;

	private HeadlessChromium(Process process, Path profile, URI pageSocket) {
		this.process = process;
		this.profile = profile;
		this.page = HttpClient.newHttpClient()
			.newWebSocketBuilder()
			.buildAsync(pageSocket, new Messages())
			.join();
	}

	/** Chromium's executable: {@code /usr/bin/chromium} or {@code chromium} on the PATH; null if neither. */
	public static Path find() {
		return Stream.concat(Stream.of(Path.of("/usr/bin/chromium")),
				Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
					.filter((dir) -> !dir.isEmpty())
					.map((dir) -> Path.of(dir, "chromium")))
			.filter(Files::isExecutable)
			.findFirst()
			.orElse(null);
	}

	/**
	 * Whether a browser test runs: with Chromium, or on CI without it (to fail there). For
	 * {@code @EnabledIf}, rather than an assumption in {@code @BeforeAll}, which Surefire reports
	 * as zero tests, without the reason.
	 */
	public static boolean installedOrOnCi() {
		return find() != null || System.getenv("CI") != null;
	}

	/** Chromium's executable, or a failure that says how to install it. */
	public static Path require() {
		Path chromium = find();
		if (chromium == null) {
			fail("Chromium is needed by the browser tests and CI (environment variable CI is set) must run them, "
					+ "but neither /usr/bin/chromium nor chromium on the PATH exists: install it with "
					+ "apt-get install chromium");
		}
		return chromium;
	}

	/** Starts a headless browser on a fresh profile, with one blank page to drive. */
	public static HeadlessChromium launch() throws Exception {
		Path profile = Files.createTempDirectory("prefork-chromium-");
		Path stderr = profile.resolve("stderr.txt");
		Process process = new ProcessBuilder(require().toString(), "--headless", "--no-sandbox", "--disable-gpu",
				"--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking",
				"--disable-component-update", "--disable-sync", "--remote-debugging-address=127.0.0.1",
				"--remote-debugging-port=0", "--remote-allow-origins=*",
				"--user-data-dir=" + profile.resolve("profile"), "about:blank")
			.redirectOutput(ProcessBuilder.Redirect.DISCARD)
			.redirectError(stderr.toFile())
			.start();
		try {
			// Chromium writes the port it chose (and the browser's socket path) into the profile.
			Path activePort = profile.resolve("profile").resolve("DevToolsActivePort");
			await().atMost(STARTUP).pollInterval(Duration.ofMillis(100)).until(() -> {
				if (!process.isAlive()) {
					fail("Chromium exited with %d; its stderr:%n%s", process.exitValue(), Files.readString(stderr));
				}
				return Files.exists(activePort) && Files.readAllLines(activePort).size() >= 2;
			});
			int port = Integer.parseInt(Files.readAllLines(activePort).get(0).trim());
			HeadlessChromium chromium = new HeadlessChromium(process, profile, pageSocket(port));
			chromium.command("Network.enable", json.createObjectNode());
			chromium.command("Fetch.enable", json.createObjectNode().put("handleAuthRequests", true));
			return chromium;
		}
		catch (Throwable ex) {
			stop(process, profile);
			throw ex;
		}
	}

	private static URI pageSocket(int port) throws Exception {
		HttpClient client = HttpClient.newHttpClient();
		return await().atMost(STARTUP).pollInterval(Duration.ofMillis(100)).until(() -> {
			HttpResponse<String> targets = client.send(
					HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
					HttpResponse.BodyHandlers.ofString());
			for (JsonNode target : json.readTree(targets.body())) {
				if ("page".equals(target.path("type").asString())) {
					return URI.create(target.path("webSocketDebuggerUrl").asString());
				}
			}
			return null;
		}, (uri) -> uri != null);
	}

	/**
	 * Answers every HTTP authentication challenge from now on with these credentials, as a user
	 * would in the browser's dialog; the browser then keeps them for the site, as it does for a
	 * user. Without this call challenges are cancelled, and the browser shows the {@code 401}.
	 */
	public void logInAs(String user, String password) {
		this.credentials = new String[] { user, password };
	}

	/**
	 * Loads a page (the call returns once the navigation has been answered).
	 * @return Chromium's reason when it shows no page (for example
	 * {@code net::ERR_HTTP_RESPONSE_CODE_FAILURE} for an error status with an empty body), else
	 * null
	 */
	public String navigate(String url) {
		JsonNode result = command("Page.navigate", json.createObjectNode().put("url", url));
		return result.hasNonNull("errorText") ? result.path("errorText").asString() : null;
	}

	/** Evaluates an expression in the page; its value as JSON (so {@code null} when it is null). */
	public JsonNode evaluate(String expression) {
		JsonNode result = command("Runtime.evaluate",
				json.createObjectNode().put("expression", expression).put("returnByValue", true));
		if (result.has("exceptionDetails")) {
			fail("%s threw in the page: %s", expression, result.path("exceptionDetails"));
		}
		return result.path("result").path("value");
	}

	/** The HTTP statuses of the documents the page loaded (navigations), in order. */
	public List<Integer> documentStatuses() {
		return List.copyOf(this.documentStatuses);
	}

	private JsonNode command(String method, ObjectNode params) {
		int id = this.ids.incrementAndGet();
		CompletableFuture<JsonNode> answer = new CompletableFuture<>();
		this.pending.put(id, answer);
		send(json.createObjectNode().put("id", id).put("method", method).set("params", params));
		try {
			JsonNode message = answer.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			if (message.has("error")) {
				fail("DevTools %s failed: %s", method, message.path("error"));
			}
			return message.path("result");
		}
		catch (Exception ex) {
			throw new IllegalStateException("DevTools " + method + " got no answer", ex);
		}
		finally {
			this.pending.remove(id);
		}
	}

	// One message at a time: the WebSocket refuses a send while the previous one is under way.
	private synchronized void send(JsonNode message) {
		this.page.sendText(message.toString(), true).join();
	}

	private void onMessage(JsonNode message) {
		if (message.has("id")) {
			CompletableFuture<JsonNode> answer = this.pending.get(message.path("id").asInt());
			if (answer != null) {
				answer.complete(message);
			}
			return;
		}
		JsonNode params = message.path("params");
		switch (message.path("method").asString()) {
			// With authentication handled, Chromium pauses every request until it is let go.
			case "Fetch.requestPaused" -> sendAsync("Fetch.continueRequest",
					json.createObjectNode().put("requestId", params.path("requestId").asString()));
			case "Fetch.authRequired" -> sendAsync("Fetch.continueWithAuth", authAnswer(params));
			case "Network.responseReceived" -> {
				if ("Document".equals(params.path("type").asString())) {
					this.documentStatuses.add(params.path("response").path("status").asInt());
				}
			}
			default -> {
			}
		}
	}

	private ObjectNode authAnswer(JsonNode params) {
		String[] credentials = this.credentials;
		ObjectNode response = json.createObjectNode();
		if (credentials != null) {
			response.put("response", "ProvideCredentials").put("username", credentials[0]).put("password", credentials[1]);
		}
		else {
			response.put("response", "CancelAuth");
		}
		ObjectNode answer = json.createObjectNode().put("requestId", params.path("requestId").asString());
		answer.set("authChallengeResponse", response);
		return answer;
	}

	// From the socket's own thread: send without waiting for an answer (none is needed).
	private void sendAsync(String method, ObjectNode params) {
		CompletableFuture.runAsync(() -> send(json.createObjectNode()
			.put("id", this.ids.incrementAndGet())
			.put("method", method)
			.set("params", params)));
	}

	@Override
	public void close() throws Exception {
		this.page.abort();
		stop(this.process, this.profile);
	}

	private static void stop(Process process, Path profile) throws Exception {
		try {
			process.descendants().forEach(ProcessHandle::destroyForcibly);
			process.destroyForcibly();
			process.onExit().get(10, TimeUnit.SECONDS);
		}
		finally {
			try (Stream<Path> paths = Files.walk(profile)) {
				paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
			}
		}
	}

	/** Gathers each message's fragments and hands the whole of it on. */
	private final class Messages implements WebSocket.Listener {

		private final StringBuilder text = new StringBuilder();

		@Override
		public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
			this.text.append(data);
			if (last) {
				String message = this.text.toString();
				this.text.setLength(0);
				onMessage(json.readTree(message));
			}
			socket.request(1);
			return null;
		}

	}

}
