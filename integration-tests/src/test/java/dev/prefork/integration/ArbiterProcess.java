package dev.prefork.integration;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import static org.awaitility.Awaitility.await;

/**
 * {@link ProcessModeApplication} started in process mode as a user starts an application, in a
 * JVM of its own: that JVM becomes the arbiter and starts the worker JVMs. Its output (the
 * workers' included) goes to a log file the tests read; closing kills whatever is left of it.
 */
final class ArbiterProcess implements AutoCloseable {

	private static final ObjectMapper JSON = new ObjectMapper();

	private static final String LEAK_DETECTION = "io.netty.leakDetection.level=paranoid";

	private static final String GET_PID = "GET /pid HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

	private static final Pattern LISTENING = Pattern.compile("Prefork arbiter listening on port (\\d+) \\(http\\) at");

	private static final Pattern MANAGEMENT_LISTENING = Pattern
		.compile("Prefork arbiter listening on port (\\d+) \\(http\\) for the management server");

	/** The JVM started, or {@code unshare} around it when it runs as PID 1. */
	private final Process process;

	/** The arbiter's JVM. */
	private final ProcessHandle arbiter;

	/** Whether the arbiter is PID 1 of a PID namespace of its own, where its pids are not ours. */
	private final boolean pidOne;

	private final Path log;

	private int port;

	private final List<ProcessHandle> seen = new ArrayList<>();

	private ArbiterProcess(Process process, ProcessHandle arbiter, boolean pidOne, Path log) {
		this.process = process;
		this.arbiter = arbiter;
		this.pidOne = pidOne;
		this.log = log;
	}

	/** Starts the application with {@code prefork.mode=processes} and {@code properties}, without waiting. */
	static ArbiterProcess launch(Path directory, String... properties) throws IOException {
		return launchWithHeap(directory, "-Xmx256m", properties);
	}

	/** The same with a heap of {@code maxHeap} (a JVM option the workers inherit). */
	static ArbiterProcess launchWithHeap(Path directory, String maxHeap, String... properties) throws IOException {
		Path log = Files.createTempFile(directory, "arbiter-", ".log");
		Process process = new ProcessBuilder(command(directory, List.of(maxHeap), properties)).redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.start();
		return new ArbiterProcess(process, process.toHandle(), false, log);
	}

	/**
	 * Starts it as a container's first process: PID 1 of a PID namespace of its own (util-linux's
	 * {@code unshare}, which needs root), where it becomes the parent of every orphan, and waits
	 * until it listens. Its JVMs keep no performance data files: named by their pids in the
	 * namespace, they would stand for other processes outside it (to {@code jcmd}, for one).
	 */
	static ArbiterProcess startAsPidOne(Path directory, String... properties) throws IOException {
		List<String> command = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child"));
		command.addAll(command(directory, List.of("-Xmx256m", "-XX:-UsePerfData"), properties));
		Path log = Files.createTempFile(directory, "arbiter-", ".log");
		Process unshare = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		await().atMost(Duration.ofSeconds(10)).until(() -> unshare.children().findAny().isPresent() || !unshare.isAlive());
		ProcessHandle arbiter = unshare.children().findAny().orElse(null);
		if (arbiter == null) {
			throw new IllegalStateException("unshare started no arbiter:\n" + Files.readString(log));
		}
		return awaitListening(new ArbiterProcess(unshare, arbiter, true, log));
	}

	/** Whether this machine lets {@link #startAsPidOne} make a PID namespace. */
	static boolean canStartAsPidOne() throws InterruptedException {
		try {
			Process probe = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", "true")
				.redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.DISCARD)
				.start();
			return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/**
	 * The command line, with {@code directory} as the JVMs' temporary directory: an arbiter removes
	 * the private directories that arbiters gone before left there, and the test classes run in two
	 * JVMs side by side, so each test keeps its arbiters' directories to itself.
	 */
	private static List<String> command(Path directory, List<String> jvmOptions, String... properties) {
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.addAll(jvmOptions);
		command.add("-Djava.io.tmpdir=" + directory);
		// Netty's paranoid leak detection, which the workers inherit with the other JVM options.
		command.addAll(List.of("-XX:TieredStopAtLevel=1", "-D" + LEAK_DETECTION, "-cp",
				System.getProperty("java.class.path"), ProcessModeApplication.class.getName(), "--prefork.mode=processes",
				"--server.port=0", "--server.address=127.0.0.1", "--spring.main.banner-mode=off"));
		command.addAll(List.of(properties));
		return command;
	}

	/** Starts it and waits until it listens, which it does once every worker is ready. */
	static ArbiterProcess start(Path directory, String... properties) throws IOException {
		return awaitListening(launch(directory, properties));
	}

	static ArbiterProcess startWithHeap(Path directory, String maxHeap, String... properties) throws IOException {
		return awaitListening(launchWithHeap(directory, maxHeap, properties));
	}

	private static ArbiterProcess awaitListening(ArbiterProcess arbiter) throws IOException {
		await().atMost(Duration.ofSeconds(120)).until(() -> arbiter.listeningPort() > 0 || !arbiter.arbiter.isAlive());
		if (arbiter.port == 0) {
			throw new IllegalStateException("The arbiter exited before it listened:\n" + arbiter.log());
		}
		arbiter.seen.addAll(arbiter.workers());
		return arbiter;
	}

	private int listeningPort() throws IOException {
		Matcher matcher = LISTENING.matcher(log());
		if (matcher.find()) {
			this.port = Integer.parseInt(matcher.group(1));
		}
		return this.port;
	}

	int port() {
		return this.port;
	}

	/** The management server's port the arbiter shares, from its log; -1 if it has none. */
	int managementPort() throws IOException {
		Matcher matcher = MANAGEMENT_LISTENING.matcher(log());
		return matcher.find() ? Integer.parseInt(matcher.group(1)) : -1;
	}

	/** {@code GET path} on {@code port}, as {@link #get} does on the application's port. */
	String get(int port, String path) {
		return send(port, getRequest(path));
	}

	private static String getRequest(String path) {
		return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	}

	/** The arbiter's pid, as this process sees it. */
	long pid() {
		return this.arbiter.pid();
	}

	/** The process started: the arbiter's JVM, or what runs it as PID 1, exiting with its exit code. */
	Process process() {
		return this.process;
	}

	/** Each child process of the arbiter, worker JVM or not, exited or not, as {@code /proc} shows it. */
	List<Child> children() {
		List<Child> children = new ArrayList<>();
		for (ProcessHandle child : this.arbiter.children().toList()) {
			try {
				String stat = Files.readString(Path.of("/proc", Long.toString(child.pid()), "stat"));
				int end = stat.lastIndexOf(')');
				children.add(new Child(stat.substring(stat.indexOf('(') + 1, end), stat.charAt(end + 2)));
			}
			catch (IOException ex) {
				// Gone since it was listed.
			}
		}
		return children;
	}

	/** A child's command name and its state ({@code Z} for a zombie, which nobody has waited for yet). */
	record Child(String command, char state) {

		boolean isZombie() {
			return this.state == 'Z';
		}

	}

	/** The pid of {@code process} as the arbiter sees it: its own when it runs in a PID namespace. */
	long pidInArbiter(ProcessHandle process) throws IOException {
		if (!this.pidOne) {
			return process.pid();
		}
		String status = Files.readString(Path.of("/proc", Long.toString(process.pid()), "status"));
		String nsPids = status.lines().filter((line) -> line.startsWith("NSpid:")).findFirst().orElseThrow();
		String[] fields = nsPids.trim().split("\\s+");
		return Long.parseLong(fields[fields.length - 1]);
	}

	String log() throws IOException {
		return Files.readString(this.log, StandardCharsets.UTF_8);
	}

	/** The worker JVMs alive now. */
	List<ProcessHandle> workers() {
		List<ProcessHandle> workers = this.arbiter.children()
			.filter(ProcessHandle::isAlive)
			.filter((child) -> child.info().command().map((command) -> command.endsWith("java")).orElse(true))
			.toList();
		workers.stream().filter((worker) -> !this.seen.contains(worker)).forEach(this.seen::add);
		return workers;
	}

	/** Every worker JVM seen so far, alive or not. */
	List<ProcessHandle> seen() {
		return List.copyOf(this.seen);
	}

	void signal(String name) throws IOException, InterruptedException {
		new ProcessBuilder("kill", "-" + name, Long.toString(pid())).start().waitFor(5, TimeUnit.SECONDS);
	}

	/**
	 * One {@code GET path} on a connection of its own: the body, or {@code null} when the
	 * connection failed or closed without an answer.
	 */
	String get(String path) {
		return send(getRequest(path));
	}

	/** One {@code POST path} of a JSON body, as {@link #get} does. */
	String post(String path, String json) {
		byte[] body = json.getBytes(StandardCharsets.UTF_8);
		return send("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
				+ "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n" + json);
	}

	private String send(String request) {
		return send(this.port, request);
	}

	private String send(int port, String request) {
		return send(port, request, 10_000);
	}

	private String send(int port, String request, int timeoutMillis) {
		try {
			String response = exchange(port, request, timeoutMillis);
			if (!response.startsWith("HTTP/1.1 200")) {
				return null;
			}
			return response.substring(response.indexOf("\r\n\r\n") + 4);
		}
		catch (IOException ex) {
			return null;
		}
	}

	/**
	 * {@code GET path} on {@code port} on a connection of its own: the whole response as it
	 * came, or what went wrong instead, for an assertion to show.
	 */
	String answer(int port, String path) {
		try {
			return exchange(port, getRequest(path), 10_000);
		}
		catch (IOException ex) {
			return "no answer: " + ex;
		}
	}

	private static String exchange(int port, String request, int timeoutMillis) throws IOException {
		try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
			socket.setSoTimeout(timeoutMillis);
			OutputStream out = socket.getOutputStream();
			out.write(request.getBytes(StandardCharsets.UTF_8));
			InputStream in = socket.getInputStream();
			return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
		}
	}

	/** Requests in flight over every worker JVM, from {@link #endpoint()}; -1 if it did not answer. */
	long inFlight() {
		JsonNode endpoint = endpoint();
		return (endpoint != null) ? endpoint.path("processes").path("workers").valueStream()
			.mapToLong((worker) -> worker.path("inFlight").asLong()).sum() : -1;
	}

	/** Worker JVMs the arbiter counts as ready, from {@link #endpoint()}; -1 if it did not answer. */
	long readyWorkers() {
		JsonNode endpoint = endpoint();
		return (endpoint != null) ? endpoint.path("processes").path("workers").valueStream()
			.filter((worker) -> worker.path("state").asString().equals("ready"))
			.count() : -1;
	}

	/**
	 * {@code GET /actuator/prefork} as any worker JVM answers it, read as JSON ({@code null} if it
	 * did not answer 200); the application must expose the endpoint.
	 */
	JsonNode endpoint() {
		String body = get("/actuator/prefork");
		return (body != null) ? JSON.readTree(body) : null;
	}

	/** Sends {@code GET path} in a loop, one connection after the other, until stopped. */
	Load load(String path) {
		return new Load(() -> get(path) != null);
	}

	/**
	 * Sends {@code GET path} in a loop on kept-alive connections (the JDK's client, which opens a
	 * new one when the server says {@code Connection: close}), until stopped.
	 */
	Load loadKeepingAlive(String path) {
		HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(10))
			.build();
		return new Load(() -> {
			try {
				return client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
			}
			catch (IOException ex) {
				return false;
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		});
	}

	/** One client's requests in a loop, counted as served or failed. */
	static final class Load {

		final AtomicInteger served = new AtomicInteger();

		final AtomicInteger failed = new AtomicInteger();

		private final AtomicBoolean running = new AtomicBoolean(true);

		private final CompletableFuture<Void> loop;

		private Load(BooleanSupplier request) {
			this.loop = CompletableFuture.runAsync(() -> {
				while (this.running.get()) {
					(request.getAsBoolean() ? this.served : this.failed).incrementAndGet();
				}
			});
		}

		/** Waits until {@code more} requests beyond those served so far are served. */
		void awaitServed(int more) {
			int target = this.served.get() + more;
			await().atMost(Duration.ofSeconds(60)).until(() -> this.served.get() >= target);
		}

		void stop() throws Exception {
			this.running.set(false);
			this.loop.get(30, TimeUnit.SECONDS);
		}

	}

	/**
	 * Lets the worker JVMs' leak detectors speak, SIGTERM (so that the arbiter removes its
	 * directory), then SIGKILL for whatever is left; fails if any JVM logged a {@code LEAK:}.
	 */
	@Override
	public void close() throws InterruptedException, IOException {
		if (this.arbiter.isAlive() && this.port > 0) {
			collectWorkerGarbage();
		}
		this.arbiter.destroy();
		if (!this.process.waitFor(30, TimeUnit.SECONDS)) {
			this.arbiter.destroyForcibly();
			this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
		}
		for (ProcessHandle worker : this.seen) {
			worker.destroyForcibly();
		}
		List<String> leaks = log().lines().filter((line) -> line.contains("LEAK:")).toList();
		if (!leaks.isEmpty()) {
			throw new AssertionError("Netty reported " + leaks.size() + " leaked buffer(s) in the arbiter's or a "
					+ "worker's output (" + this.log + "):\n" + String.join("\n", leaks));
		}
	}

	/**
	 * Netty notices a leak only once the buffer has been collected and a later allocation polls
	 * its queue: a collection in every live worker JVM, then requests, which allocate.
	 */
	private void collectWorkerGarbage() throws InterruptedException, IOException {
		// JVMs in a PID namespace of their own keep no data files for jcmd to find them by: their
		// buffers are checked only as far as the requests below make the detectors poll.
		if (!this.pidOne) {
			// One jcmd for the arbiter and its workers, which all run this main class: each jcmd is
			// a JVM of its own to start.
			String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
			new ProcessBuilder(jcmd, ProcessModeApplication.class.getName(), "GC.run").redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.DISCARD)
				.start()
				.waitFor(20, TimeUnit.SECONDS);
		}
		for (int i = 0; i < 16; i++) {
			if (send(this.port, GET_PID, 1_000) == null) {
				break; // a worker whose threads the test left hung answers nothing: no waiting on it
			}
		}
	}

}
