package dev.prefork.process;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import javax.tools.ToolProvider;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The class data cache building real jars with real JVMs: a small application whose
 * {@code extract} (what Boot's tools jar mode does) copies its own jar after a pause, and whose
 * training run just exits, so that the JVM writes a real archive of it. The sample app's fat jar is
 * the fault harness's {@code process-deploy-cds} scenario.
 */
@EnabledOnOs(OS.LINUX)
class ClassDataCacheBuildTests {

	private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

	private static final String APPLICATION = """
			import java.nio.file.*;
			public class App {
				public static void main(String[] args) throws Exception {
					if (args.length == 3 && args[0].equals("extract")) {
						Path self = Path.of(App.class.getProtectionDomain().getCodeSource().getLocation().toURI());
						// A "pause" file beside the jar, or one level up, makes the extraction slow.
						if (Files.exists(self.resolveSibling("pause")) || Files.exists(self.getParent().resolveSibling("pause"))) {
							Thread.sleep(1500);
						}
						Files.createDirectories(Path.of(args[2]));
						Files.copy(self, Path.of(args[2]).resolve(self.getFileName()));
					}
				}
			}
			""";

	@TempDir
	static Path classes;

	@TempDir
	Path directory;

	@BeforeAll
	static void compile() throws IOException {
		Path source = Files.writeString(classes.resolve("App.java"), APPLICATION);
		int result = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), source.toString());
		assertThat(result).as("the test application compiles").isZero();
	}

	@Test
	void buildsOncePerJarAndJvmOptionsAndWorkersRunTheExtractedJarWithTheArchive() throws Exception {
		Path jar = jar(this.directory.resolve("app.jar"), "first");
		ClassDataCache cache = new ClassDataCache(this.directory.resolve("cds"), Duration.ofSeconds(60));
		WorkerCommand workers = cache.prepare(started(jar, List.of("-Xmx64m")));
		Path extracted = workers.jar();
		assertThat(extracted).isRegularFile().hasFileName("app.jar");
		Path archive = extracted.getParent().getParent().resolve("app.jsa");
		assertThat(archive).isRegularFile();
		assertThat(workers.command()).containsSubsequence(JAVA, "-Xmx64m", "-XX:SharedArchiveFile=" + archive, "-jar",
				extracted.toString());
		assertThat(marker(extracted)).isEqualTo("first");

		assertThat(cache.prepare(started(jar, List.of("-Xmx64m"))).jar()).as("the same jar and options: reused")
			.isEqualTo(extracted);
		assertThat(cache.prepare(started(jar, List.of("-Xmx96m"))).jar()).as("other options: another archive")
			.isNotEqualTo(extracted);
		jar(jar, "second");
		Path second = cache.prepare(started(jar, List.of("-Xmx64m"))).jar();
		assertThat(second).as("another jar content").isNotEqualTo(extracted);
		assertThat(marker(second)).isEqualTo("second");
	}

	@Test
	void aJarReplacedWhileItIsBuiltCannotEndUpUnderTheOthersName() throws Exception {
		Path jar = jar(this.directory.resolve("app.jar"), "deployed");
		ClassDataCache cache = new ClassDataCache(this.directory.resolve("cds"), Duration.ofSeconds(60));
		Files.createDirectories(this.directory.resolve("cds"));
		Files.writeString(this.directory.resolve("pause"), "");
		Files.writeString(this.directory.resolve("cds").resolve("pause"), "");
		CompletableFuture<WorkerCommand> building = CompletableFuture.supplyAsync(() -> {
			try {
				return cache.prepare(started(jar, List.of()));
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
		});
		await().until(this::hasBuildDirectory);
		// The next release lands while the first one is being extracted, as a deployment does.
		Path next = jar(this.directory.resolve("next.jar"), "next");
		Files.move(next, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		Path extracted = building.get(60, TimeUnit.SECONDS).jar();
		assertThat(marker(extracted)).as("what was built is what was digested").isEqualTo("deployed");
		assertThat(marker(cache.prepare(started(jar, List.of())).jar()))
			.as("the jar on disk now gets a build of its own").isEqualTo("next");
	}

	@Test
	void aRestartAskedForWhileABuildRunsGetsTheJarOnDiskByThen() throws Exception {
		Path jar = jar(this.directory.resolve("app.jar"), "v1");
		Files.createDirectories(this.directory.resolve("cds"));
		Files.writeString(this.directory.resolve("cds").resolve("pause"), "");
		Releases releases = new Releases(started(jar, List.of()),
				new ClassDataCache(this.directory.resolve("cds"), Duration.ofSeconds(60)));
		releases.build();
		await().until(this::hasBuildDirectory);
		jar(jar, "v2");
		releases.build();
		Boolean outcome = await().atMost(Duration.ofSeconds(60)).until(releases::poll, (done) -> done != null);
		assertThat(outcome).isTrue();
		assertThat(marker(releases.current().jar())).as("the second restart's jar, not the first's").isEqualTo("v2");
	}

	@Test
	void olderBuildsGoButOneAnArbitersWorkersStillRunStays() throws Exception {
		Path jar = this.directory.resolve("app.jar");
		Path cacheDirectory = this.directory.resolve("cds");
		ClassDataCache first = new ClassDataCache(cacheDirectory, Duration.ofSeconds(60));
		jar(jar, "v1");
		WorkerCommand v1 = first.prepare(started(jar, List.of()));
		// Another arbiter sharing the directory deploys four more versions.
		ClassDataCache other = new ClassDataCache(cacheDirectory, Duration.ofSeconds(60));
		Path v2 = null;
		for (String version : List.of("v2", "v3", "v4", "v5")) {
			jar(jar, version);
			WorkerCommand built = other.prepare(started(jar, List.of()));
			other.retain(List.of(built));
			v2 = (v2 == null) ? built.jar() : v2;
		}
		assertThat(v1.jar()).as("the first arbiter's workers still run it").isRegularFile();
		assertThat(v2).as("nobody runs it, and three newer are kept").doesNotExist();
		first.retain(List.of());
		jar(jar, "v6");
		other.prepare(started(jar, List.of()));
		assertThat(v1.jar()).as("let go of, so it may go now").doesNotExist();
	}

	private boolean hasBuildDirectory() throws IOException {
		try (Stream<Path> entries = Files.list(this.directory.resolve("cds"))) {
			return entries.anyMatch((entry) -> entry.getFileName().toString().startsWith("app.jar-"));
		}
	}

	private static WorkerCommand started(Path jar, List<String> options) {
		return new WorkerCommand(JAVA, options, List.of("-jar", jar.toString()), List.of());
	}

	/** A jar of the test application, with a marker entry saying which release it is. */
	private static Path jar(Path path, String marker) throws IOException {
		Manifest manifest = new Manifest();
		manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
		manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "App");
		Path written = path.resolveSibling(path.getFileName() + ".writing");
		try (OutputStream out = Files.newOutputStream(written); JarOutputStream jar = new JarOutputStream(out, manifest)) {
			jar.putNextEntry(new JarEntry("App.class"));
			jar.write(Files.readAllBytes(classes.resolve("App.class")));
			jar.putNextEntry(new JarEntry("marker.txt"));
			jar.write(marker.getBytes(StandardCharsets.UTF_8));
		}
		return Files.move(written, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
	}

	private static String marker(Path jar) throws IOException {
		try (var file = new java.util.jar.JarFile(jar.toFile())) {
			return new String(file.getInputStream(file.getEntry("marker.txt")).readAllBytes(), StandardCharsets.UTF_8);
		}
	}

}
