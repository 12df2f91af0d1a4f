package dev.prefork.process;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Spring Boot's CDS recipe as one setting ({@code prefork.process.cds-directory}): the arbiter
 * extracts the application's jar (Boot's {@code tools} jar mode) and trains an AppCDS archive on
 * it (one run of the application up to its context's refresh), once per jar content, in a
 * directory of its own; worker JVMs then run the extracted jar with the archive mapped, shared
 * between them and not relocated, and get ready with less CPU and less private memory. The jar is
 * copied first and everything is made from the copy, so that a jar replaced meanwhile cannot end
 * up under the other's name; a build is named by the copy's content, the JVM and its options
 * (an archive serves only the JVM and options that trained it). What was built is reused by every
 * later arbiter of the same jar, JVM and options; of a jar's builds the three newest are kept, and
 * any other that an arbiter's workers still run ({@link BuildLeases}).
 */
final class ClassDataCache {

	private static final Log logger = LogFactory.getLog(ClassDataCache.class);

	/** Written last: a build without it was interrupted and is done again. */
	private static final String READY = "ready";

	private static final int KEPT = 3;

	private final Path directory;

	private final Duration timeout;

	/** The extraction or training run under way, if any. */
	private volatile @Nullable Process running;

	private final BuildLeases leases = new BuildLeases();

	/**
	 * @param directory where the builds go, created if need be
	 * @param timeout how long extracting, then training, may each take
	 */
	ClassDataCache(Path directory, Duration timeout) {
		this.directory = directory;
		this.timeout = timeout;
	}

	/**
	 * The command worker JVMs run for the application's jar as it is on disk now: the extracted
	 * jar with its archive, built first if this jar content has none yet.
	 * @throws IOException when it cannot be built, with the reason
	 */
	WorkerCommand prepare(WorkerCommand plain) throws IOException {
		Path started = plain.jar();
		if (started == null) {
			throw new IOException("the application was not started with java -jar");
		}
		Path jar = started.toAbsolutePath();
		if (plain.hasJvmOption("-XX:SharedArchiveFile") || plain.hasJvmOption("-XX:ArchiveClassesAtExit")
				|| plain.hasJvmOption("-Xshare:off")) {
			throw new IOException("the JVM options choose class data sharing themselves");
		}
		Files.createDirectories(this.directory);
		try (FileChannel lockFile = FileChannel.open(this.directory.resolve(".lock"), StandardOpenOption.CREATE,
				StandardOpenOption.WRITE); FileLock lock = lockFile.lock()) {
			// Another arbiter sharing the directory builds the same jar once, not twice at once.
			String name = jar.getFileName().toString();
			Path incoming = Files.createTempDirectory(this.directory, ".incoming-");
			try {
				Path copy = Files.copy(jar, incoming.resolve(name));
				Path build = this.directory.resolve(name + "-" + key(copy, plain));
				Path extracted = build.resolve("app").resolve(name);
				Path archive = build.resolve("app.jsa");
				// A cleaner of temporary files may have taken some of a build: then it is made again.
				if (Files.isRegularFile(build.resolve(READY)) && Files.isRegularFile(extracted)
						&& Files.isRegularFile(archive)) {
					logger.info("Class data cache: worker JVMs run " + extracted + " with " + archive);
				}
				else {
					build(plain, jar, copy, build, extracted, archive);
				}
				this.leases.hold(build);
				Files.setLastModifiedTime(build, FileTime.fromMillis(System.currentTimeMillis()));
				removeOlderBuilds(name);
				return plain.running(extracted, List.of("-XX:SharedArchiveFile=" + archive,
						"-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0"));
			}
			finally {
				ProcessArbiter.deleteQuietly(incoming);
			}
		}
	}

	/**
	 * Keeps the builds that {@code running} (the commands of the worker JVMs alive, and the one
	 * new workers get) run, and lets go of the others.
	 */
	void retain(Collection<WorkerCommand> running) {
		Set<Path> builds = new HashSet<>();
		for (WorkerCommand command : running) {
			Path jar = command.jar();
			if (jar != null && jar.startsWith(this.directory) && jar.getParent() != null
					&& jar.getParent().getParent() != null) {
				builds.add(jar.getParent().getParent());
			}
		}
		this.leases.holdOnly(builds);
	}

	private void build(WorkerCommand plain, Path jar, Path copy, Path build, Path extracted, Path archive)
			throws IOException {
		ProcessArbiter.deleteQuietly(build);
		Files.createDirectories(build);
		long began = System.nanoTime();
		run(plain.extraction(copy, build.resolve("app")), build.resolve("extract.log"), "extracting " + jar, false);
		run(plain.running(extracted, List.of()).training(archive), build.resolve("training.log"),
				"the training run of " + extracted, true);
		if (!Files.isRegularFile(archive)) {
			throw new IOException("the training run of " + extracted + " wrote no archive (see "
					+ build.resolve("training.log") + ")");
		}
		Files.writeString(build.resolve(READY), jar.toString());
		logger.info("Class data cache: extracted " + jar + " and trained its archive in "
				+ TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began) + " ms; worker JVMs run " + extracted
				+ " with " + archive);
	}

	private void run(List<String> command, Path log, String what, boolean training) throws IOException {
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
		if (training) {
			builder.environment().put(WorkerCommand.TRAINING, "true");
		}
		Process process = Children.start(builder);
		this.running = process;
		try {
			if (!process.waitFor(this.timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
				throw new IOException(what + " took longer than " + this.timeout.toSeconds() + " s");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			process.destroyForcibly();
			throw new IOException(what + " was interrupted", ex);
		}
		finally {
			this.running = null;
		}
		if (process.exitValue() != 0) {
			throw new IOException(what + " failed with exit code " + process.exitValue() + "; its last output:\n"
					+ String.join("\n", lastLines(log, 10)));
		}
	}

	/** Stops the extraction or training run under way, if any. */
	void cancel() {
		Process process = this.running;
		if (process != null) {
			process.destroyForcibly();
		}
	}

	private static List<String> lastLines(Path log, int count) throws IOException {
		List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
		return lines.subList(Math.max(0, lines.size() - count), lines.size());
	}

	private void removeOlderBuilds(String name) throws IOException {
		List<Path> builds = new ArrayList<>();
		try (DirectoryStream<Path> entries = Files.newDirectoryStream(this.directory, name + "-*")) {
			entries.forEach(builds::add);
		}
		builds.sort(Comparator.comparing(ClassDataCache::modified).reversed());
		builds.stream().skip(KEPT).filter(this.leases::unused).forEach(ProcessArbiter::deleteQuietly);
	}

	private static long modified(Path path) {
		try {
			return Files.getLastModifiedTime(path).toMillis();
		}
		catch (IOException ex) {
			return 0;
		}
	}

	/**
	 * The jar's content, the JVM and its options, named: a jar replaced on disk gets a build of its
	 * own, and so does another JVM (whose archive format differs) or other options.
	 */
	private static String key(Path jar, WorkerCommand plain) throws IOException {
		try (InputStream in = Files.newInputStream(jar)) {
			MessageDigest sha = MessageDigest.getInstance("SHA-256");
			byte[] buffer = new byte[64 * 1024];
			for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
				sha.update(buffer, 0, read);
			}
			String jvm = String.join("\0", System.getProperty("java.home"), System.getProperty("java.vm.version"),
					String.join("\0", plain.jvmOptions()));
			sha.update(jvm.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(sha.digest(), 0, 8);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("Every JVM has SHA-256", ex);
		}
	}

}
