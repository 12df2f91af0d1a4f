package dev.prefork.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The class data cache's commands, and the reasons it gives when it cannot build. Building a real
 * application's jar is the fault harness's {@code process-deploy-cds} scenario (it needs Boot's
 * fat jar of the sample app).
 */
class ClassDataCacheTests {

	private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

	@TempDir
	Path directory;

	@Test
	void aTrainingRunStopsAfterTheRefreshInThreadModeAndWritesTheArchive() {
		WorkerCommand started = new WorkerCommand(JAVA, List.of("-Xmx256m"), List.of("-jar", "app.jar"),
				List.of("--server.port=8080", "--prefork.mode=processes"));
		WorkerCommand extracted = started.running(Path.of("/cache/app/app.jar"), List.of());
		assertThat(extracted.training(Path.of("/cache/app.jsa"))).containsExactly(JAVA, "-Xmx256m",
				"-XX:ArchiveClassesAtExit=/cache/app.jsa", "-Dspring.context.exit=onRefresh", "-jar",
				"/cache/app/app.jar", "--server.port=8080", "--prefork.mode=threads");
	}

	@Test
	void workersRunTheExtractedJarWithTheUsersOptionsFirst() {
		WorkerCommand started = new WorkerCommand(JAVA, List.of("-Xmx256m"), List.of("-jar", "app.jar"),
				List.of("--a=b"));
		assertThat(started.running(Path.of("/cache/app/app.jar"), List.of("-XX:SharedArchiveFile=/cache/app.jsa"))
			.command()).containsExactly(JAVA, "-Xmx256m", "-XX:SharedArchiveFile=/cache/app.jsa", "-jar",
					"/cache/app/app.jar", "--a=b");
		assertThat(started.extraction(Path.of("app.jar"), Path.of("/cache/app"))).containsExactly(JAVA,
				"-Djarmode=tools", "-jar", "app.jar", "extract", "--destination", "/cache/app");
	}

	@Test
	void anApplicationStartedFromAClassPathCannotBeBuilt() {
		WorkerCommand started = new WorkerCommand(JAVA, List.of(), List.of("-cp", "classes", "com.example.App"),
				List.of());
		assertThatExceptionOfType(IOException.class).isThrownBy(() -> cache().prepare(started))
			.withMessage("the application was not started with java -jar");
	}

	@Test
	void jvmOptionsThatChooseTheirOwnArchiveAreLeftAlone() {
		WorkerCommand started = new WorkerCommand(JAVA, List.of("-XX:SharedArchiveFile=mine.jsa"),
				List.of("-jar", "app.jar"), List.of());
		assertThatExceptionOfType(IOException.class).isThrownBy(() -> cache().prepare(started))
			.withMessage("the JVM options choose class data sharing themselves");
	}

	@Test
	void aJarThatCannotBeExtractedIsReportedWithTheExtractionsOutputAndLeavesNoReadyBuild() throws IOException {
		Path jar = Files.writeString(this.directory.resolve("app.jar"), "not a jar");
		WorkerCommand started = new WorkerCommand(JAVA, List.of(), List.of("-jar", jar.toString()), List.of());
		Path cache = this.directory.resolve("cds");
		assertThatExceptionOfType(IOException.class).isThrownBy(() -> new ClassDataCache(cache, Duration.ofSeconds(60)).prepare(started))
			.withMessageStartingWith("extracting " + jar + " failed with exit code 1; its last output:")
			.withMessageContaining("Invalid or corrupt jarfile");
		try (var builds = Files.list(cache)) {
			assertThat(builds.filter(Files::isDirectory)).as("its logs kept, not marked ready")
				.allSatisfy((build) -> assertThat(build.resolve("ready")).doesNotExist())
				.allSatisfy((build) -> assertThat(build.resolve("extract.log")).content().contains("Invalid or corrupt jarfile"));
		}
	}

	private ClassDataCache cache() {
		return new ClassDataCache(this.directory.resolve("cds"), Duration.ofSeconds(60));
	}

}
