package dev.prefork.faults.app;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The sample application running as a separate JVM, on a random loopback port, with its output
 * in a log file. Every process started here is killed if the harness itself exits early, so that
 * no stray server outlives a run.
 */
public final class SampleApp implements AutoCloseable {

	private static final Pattern STARTED = Pattern.compile("Prefork started on port (\\d+)");

	/** The sample serves its actuator on a loopback port of its own; the harness asks for a random one. */
	private static final Pattern MANAGEMENT_STARTED = Pattern.compile("Prefork management server started on port (\\d+)");

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);

	/** Longer than any graceful shutdown a scenario configures. */
	private static final Duration STOP_TIMEOUT = Duration.ofSeconds(40);

	private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime()
			.addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "faults-kill-apps"));
	}

	private final Process process;

	private final Path log;

	private final int port;

	private final int managementPort;

	private SampleApp(Process process, Path log, int[] ports) {
		this.process = process;
		this.log = log;
		this.port = ports[0];
		this.managementPort = ports[1];
	}

	/**
	 * Starts {@code java -Xmx512m -jar jar --server.port=0 --server.address=127.0.0.1
	 * --management.server.port=0 properties...} and waits for the lines that report both ports.
	 */
	public static SampleApp start(Path jar, Path log, List<String> properties) throws IOException {
		// The GC log gives the exact heap left by each full GC (see ProcessProbe).
		List<String> command = new ArrayList<>(List.of(javaExecutable(), "-Xmx512m", "-Xlog:gc:file=" + gcLog(log),
				"-jar", jar.toString(), "--server.port=0", "--server.address=127.0.0.1", "--management.server.port=0"));
		command.addAll(properties);
		Files.createDirectories(log.getParent());
		Process process = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.start();
		LIVE.add(process);
		process.onExit().thenRun(() -> LIVE.remove(process));
		try {
			return new SampleApp(process, log, awaitPorts(process, log));
		}
		catch (IOException | RuntimeException ex) {
			process.destroyForcibly();
			throw ex;
		}
	}

	/** The application's port and the management server's. */
	private static int[] awaitPorts(Process process, Path log) throws IOException {
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		while (System.nanoTime() < deadline) {
			String output = Files.readString(log, StandardCharsets.ISO_8859_1);
			Matcher main = STARTED.matcher(output);
			Matcher management = MANAGEMENT_STARTED.matcher(output);
			if (main.find() && management.find()) {
				return new int[] { Integer.parseInt(main.group(1)), Integer.parseInt(management.group(1)) };
			}
			if (!process.isAlive()) {
				throw new IOException("Sample app exited with " + process.exitValue() + " before it started; log "
						+ log + ":\n" + tail(log, 30));
			}
			sleep(100);
		}
		throw new IOException("Sample app did not report its port within " + STARTUP_TIMEOUT.toSeconds() + "s; log "
				+ log + ":\n" + tail(log, 30));
	}

	public int port() {
		return this.port;
	}

	public long pid() {
		return this.process.pid();
	}

	public InetSocketAddress address() {
		return new InetSocketAddress("127.0.0.1", this.port);
	}

	public Actuator actuator() {
		return new Actuator(address(), new InetSocketAddress("127.0.0.1", this.managementPort));
	}

	public boolean isAlive() {
		return this.process.isAlive();
	}

	public Path log() {
		return this.log;
	}

	/** The JVM's GC log ({@code -Xlog:gc}), beside the application log. */
	public Path gcLog() {
		return gcLog(this.log);
	}

	private static Path gcLog(Path log) {
		return log.resolveSibling(log.getFileName().toString().replaceFirst("\\.log$", "") + "-gc.log");
	}

	/** Sends SIGTERM (what {@code kill PID} and Kubernetes send), starting Boot's graceful shutdown. */
	public void terminate() {
		this.process.destroy();
	}

	/** Waits for the process to exit; its exit code, or {@code null} if it is still running. */
	public Integer awaitExit(Duration timeout) throws InterruptedException {
		return this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? this.process.exitValue() : null;
	}

	/** Log lines that match, for checks such as "no thread was abandoned at shutdown". */
	public long countLogLines(Predicate<String> matching) throws IOException {
		try (Stream<String> lines = Files.lines(this.log, StandardCharsets.ISO_8859_1)) {
			return lines.filter(matching).count();
		}
	}

	public String logTail(int lines) {
		return tail(this.log, lines);
	}

	/** SIGTERM, then SIGKILL if the process has not exited within the stop timeout. */
	@Override
	public void close() {
		if (!this.process.isAlive()) {
			return;
		}
		this.process.destroy();
		try {
			if (!this.process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
				this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			this.process.destroyForcibly();
			Thread.currentThread().interrupt();
		}
	}

	static String javaExecutable() {
		return Path.of(System.getProperty("java.home"), "bin", "java").toString();
	}

	private static String tail(Path log, int count) {
		try {
			List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
			return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
		}
		catch (IOException ex) {
			return "(log unreadable: " + ex + ")";
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
