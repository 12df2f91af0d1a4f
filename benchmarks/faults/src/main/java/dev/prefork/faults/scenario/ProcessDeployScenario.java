package dev.prefork.faults.scenario;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.prefork.faults.app.SampleApp;
import dev.prefork.faults.http.HttpConnection;
import dev.prefork.faults.http.HttpResponse;
import dev.prefork.faults.load.BackgroundLoad;
import dev.prefork.faults.load.ResponsePolicy;

/**
 * Deploying new code in process mode, as an operator does: the sample app runs from a jar of its
 * own as an arbiter and 2 worker JVMs; the jar is replaced by a new version (one that sends a
 * {@code Server} header) and the arbiter gets SIGHUP, which replaces the workers one at a time;
 * then the jar is replaced by a broken one and SIGHUP again, which must leave the new version
 * serving; then SIGTERM. Not one background request may fail, and no process may be left.
 */
final class ProcessDeployScenario implements Scenario {

	private static final String NEW_VERSION = "prefork-v2";

	private static final Pattern BOOTING = Pattern.compile("Booting worker \\d+ \\(pid (\\d+)\\)");

	private static final Duration REPLACED_WITHIN = Duration.ofSeconds(120);

	@Override
	public String name() {
		return "process-deploy";
	}

	@Override
	public void run(ScenarioContext context, ScenarioResult result) throws Exception {
		result.injected("process mode, 2 worker JVMs: the jar replaced by a new version, SIGHUP; replaced by a "
				+ "broken jar, SIGHUP; then SIGTERM; under the background load");
		Path directory = Files.createTempDirectory("prefork-deploy-");
		Path jar = directory.resolve("app.jar");
		Files.copy(context.jar(), jar);
		try (SampleApp app = context.startApp(jar, name(), "--prefork.mode=processes", "--prefork.workers=2")) {
			BackgroundLoad background = context.startBackground(app, ResponsePolicy.STRICT);
			ScenarioContext.pause(Duration.ofSeconds(2));
			result.require(serverHeader(app) == null, "the first version sends no Server header", serverHeader(app));

			deploy(newVersion(context.jar(), directory), jar);
			signal(app, "HUP");
			boolean replaced = await(app, (line) -> line.contains("Workers replaced"));
			result.require(replaced, "SIGHUP replaced every worker within " + REPLACED_WITHIN.toSeconds() + " s", replaced);
			result.require(NEW_VERSION.equals(serverHeader(app)), "the new version serves after SIGHUP", serverHeader(app));

			Path broken = directory.resolve("broken.jar");
			Files.writeString(broken, "not a jar");
			deploy(broken, jar);
			signal(app, "HUP");
			boolean stopped = await(app, (line) -> line.contains("Replacing workers stopped"));
			result.require(stopped, "a broken jar stops the replacement and says so", stopped);
			result.require(NEW_VERSION.equals(serverHeader(app)), "the running version keeps serving", serverHeader(app));

			background.stop();
			result.background(background.total());
			List<Long> workers = bootedPids(app);
			app.terminate();
			Integer exit = app.awaitExit(Duration.ofSeconds(60));
			result.require(Integer.valueOf(0).equals(exit), "SIGTERM: the arbiter exits with 0", exit);
			long alive = workers.stream().filter((pid) -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
				.count();
			result.require(alive == 0, "no worker JVM left after SIGTERM", alive + " of " + workers.size());
			result.measure("worker JVMs", workers.size() + " booted (2 first, 2 of the new version, 1 broken)");
		}
		finally {
			try (var paths = Files.walk(directory)) {
				paths.sorted((a, b) -> b.compareTo(a)).forEach((path) -> path.toFile().delete());
			}
		}
	}

	/**
	 * A copy of the sample app's jar that is a new version: an {@code application.properties}
	 * (which wins over the jar's {@code application.yml}) that sets a Server header.
	 */
	private static Path newVersion(Path original, Path directory) throws IOException {
		Path copy = directory.resolve("new.jar");
		Files.copy(original, copy);
		try (FileSystem jar = FileSystems.newFileSystem(URI.create("jar:" + copy.toUri()), Map.of())) {
			Files.writeString(jar.getPath("BOOT-INF/classes/application.properties"),
					"prefork.server-header=" + NEW_VERSION + "\n", StandardCharsets.UTF_8);
		}
		return copy;
	}

	/** Replaces the jar in one rename, as a deployment does: a JVM still reading the old one keeps it. */
	private static void deploy(Path release, Path jar) throws IOException {
		Files.move(release, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
	}

	private static void signal(SampleApp app, String name) throws IOException, InterruptedException {
		new ProcessBuilder("kill", "-" + name, Long.toString(app.pid())).start().waitFor(5, TimeUnit.SECONDS);
	}

	private static boolean await(SampleApp app, Predicate<String> line) throws IOException, InterruptedException {
		long deadline = System.nanoTime() + REPLACED_WITHIN.toNanos();
		long before = app.countLogLines(line);
		while (System.nanoTime() < deadline) {
			if (app.countLogLines(line) > before) {
				return true;
			}
			ScenarioContext.pause(Duration.ofMillis(200));
		}
		return false;
	}

	private static String serverHeader(SampleApp app) throws IOException {
		HttpResponse response = HttpConnection.once(app.address(), Duration.ofSeconds(10), "GET", "/hello", null, null);
		return response.header("Server");
	}

	private static List<Long> bootedPids(SampleApp app) throws IOException {
		Matcher matcher = BOOTING.matcher(Files.readString(app.log(), StandardCharsets.ISO_8859_1));
		List<Long> pids = new ArrayList<>();
		while (matcher.find()) {
			pids.add(Long.parseLong(matcher.group(1)));
		}
		return pids;
	}

}
