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
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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
 * serving; then SIGTERM. Not one background request may fail, and no process may be left. With
 * {@code cds}, the same with {@code prefork.process.cds-directory}: every worker JVM must run the
 * extracted jar with its CDS archive mapped, SIGHUP must build the new version's before replacing
 * the workers, and the broken jar must cancel the restart before any worker is replaced.
 */
final class ProcessDeployScenario implements Scenario {

	private static final String NEW_VERSION = "prefork-v2";

	private static final Pattern BOOTING = Pattern.compile("Booting worker \\d+ \\(pid (\\d+)\\)");

	private static final Duration REPLACED_WITHIN = Duration.ofSeconds(120);

	private final boolean cds;

	ProcessDeployScenario(boolean cds) {
		this.cds = cds;
	}

	@Override
	public String name() {
		return this.cds ? "process-deploy-cds" : "process-deploy";
	}

	@Override
	public void run(ScenarioContext context, ScenarioResult result) throws Exception {
		result.injected("process mode, 2 worker JVMs" + (this.cds ? " with prefork.process.cds-directory" : "")
				+ ": the jar replaced by a new version, SIGHUP; replaced by a broken jar, SIGHUP; then SIGTERM; "
				+ "under the background load");
		Path directory = Files.createTempDirectory("prefork-deploy-");
		Path jar = directory.resolve("app.jar");
		Files.copy(context.jar(), jar);
		List<String> properties = new ArrayList<>(List.of("--prefork.mode=processes", "--prefork.workers=2"));
		if (this.cds) {
			properties.add("--prefork.process.cds-directory=" + directory.resolve("cds"));
		}
		try (SampleApp app = context.startApp(jar, name(), properties.toArray(String[]::new))) {
			BackgroundLoad background = context.startBackground(app, ResponsePolicy.STRICT);
			ScenarioContext.pause(Duration.ofSeconds(2));
			result.require(serverHeader(app) == null, "the first version sends no Server header", serverHeader(app));
			Set<String> firstArchives = requireArchivesMapped(app, result, "first version");

			deploy(newVersion(context.jar(), directory), jar);
			signal(app, "HUP");
			boolean replaced = await(app, (line) -> line.contains("Workers replaced"));
			result.require(replaced, "SIGHUP replaced every worker within " + REPLACED_WITHIN.toSeconds() + " s", replaced);
			result.require(NEW_VERSION.equals(serverHeader(app)), "the new version serves after SIGHUP", serverHeader(app));
			Set<String> newArchives = requireArchivesMapped(app, result, "new version");
			if (this.cds) {
				result.require(!newArchives.equals(firstArchives), "the new version runs an archive of its own",
						firstArchives + " then " + newArchives);
			}

			Path broken = directory.resolve("broken.jar");
			Files.writeString(broken, "not a jar");
			deploy(broken, jar);
			signal(app, "HUP");
			String refusal = this.cds ? "Restart cancelled, the workers keep running" : "Replacing workers stopped";
			boolean stopped = await(app, (line) -> line.contains(refusal));
			result.require(stopped, "a broken jar stops the replacement and says so (" + refusal + ")", stopped);
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
			result.measure("worker JVMs", workers.size() + " booted (2 first, 2 of the new version, "
					+ (this.cds ? "the broken jar cancelled before any)" : "1 broken)"));
		}
		finally {
			try (var paths = Files.walk(directory)) {
				paths.sorted((a, b) -> b.compareTo(a)).forEach((path) -> path.toFile().delete());
			}
		}
	}

	/**
	 * With {@code cds}, requires every worker JVM serving now to have a CDS archive of the cache
	 * mapped, and returns the archives' paths; without, nothing.
	 */
	private Set<String> requireArchivesMapped(SampleApp app, ScenarioResult result, String version)
			throws InterruptedException {
		Set<String> archives = new TreeSet<>();
		if (!this.cds) {
			return archives;
		}
		// The workers just replaced may still be draining: until only the two serving ones are left.
		long deadline = System.nanoTime() + REPLACED_WITHIN.toNanos();
		List<Long> serving;
		int mapped;
		do {
			ScenarioContext.pause(Duration.ofMillis(200));
			archives.clear();
			serving = ProcessHandle.of(app.pid())
				.map((arbiter) -> arbiter.children().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList())
				.orElse(List.of());
			mapped = 0;
			for (long pid : serving) {
				Optional<String> archive = mappedArchive(pid);
				archive.ifPresent(archives::add);
				mapped += archive.isPresent() ? 1 : 0;
			}
		}
		while ((serving.size() != 2 || mapped != 2) && System.nanoTime() < deadline);
		result.require(serving.size() == 2 && mapped == 2, "every worker JVM of the " + version
				+ " maps the CDS archive", mapped + " of " + serving.size() + " " + archives);
		return archives;
	}

	private static Optional<String> mappedArchive(long pid) {
		try {
			return Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps"))
				.stream()
				.filter((line) -> line.endsWith("/app.jsa"))
				.map((line) -> line.substring(line.indexOf('/')))
				.findFirst();
		}
		catch (IOException ex) {
			// Gone meanwhile.
			return Optional.empty();
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
