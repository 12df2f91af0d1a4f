package dev.prefork.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import dev.prefork.process.ProcessArbiterSettings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The arbiter of process mode reads its settings from the application's configuration before any
 * bean exists, with the checks thread mode makes: a value out of range fails startup naming its
 * property, and process mode without Prefork's engine is refused naming {@code prefork.mode}.
 */
class ProcessModeLauncherTests {

	@Test
	void settingsComeFromThePreforkServerAndLifecycleProperties() {
		ProcessArbiterSettings settings = ProcessModeLauncher.settings(binder(Map.of("prefork.workers", "3",
				"prefork.threads", "5", "prefork.backlog", "99", "prefork.timeout", "7s", "server.port", "0",
				"server.address", "127.0.0.1", "spring.lifecycle.timeout-per-shutdown-phase", "12s")));
		assertThat(settings.workers()).isEqualTo(3);
		assertThat(settings.threads()).isEqualTo(5);
		assertThat(settings.backlog()).isEqualTo(99);
		assertThat(settings.timeout()).isEqualTo(Duration.ofSeconds(7));
		assertThat(settings.port()).isZero();
		assertThat(settings.address().getHostAddress()).isEqualTo("127.0.0.1");
		assertThat(settings.gracefulTimeout()).isEqualTo(Duration.ofSeconds(12));
	}

	@Test
	void defaultsAreThreadModesAndBoots() {
		ProcessArbiterSettings settings = ProcessModeLauncher.settings(binder(Map.of()));
		assertThat(settings.workers()).isEqualTo(Runtime.getRuntime().availableProcessors());
		assertThat(settings.port()).isEqualTo(8080);
		assertThat(settings.address()).isNull();
		assertThat(settings.timeout()).isEqualTo(Duration.ofSeconds(30));
		assertThat(settings.gracefulTimeout()).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void aWorkerCountOutOfRangeIsNamed() {
		assertThatExceptionOfType(InvalidPreforkPropertyException.class)
			.isThrownBy(() -> ProcessModeLauncher.settings(binder(Map.of("prefork.workers", "0"))))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("prefork.workers"));
	}

	@Test
	void processModeWithPreforkDisabledIsRefusedNamingTheMode() {
		assertThatExceptionOfType(InvalidPreforkPropertyException.class)
			.isThrownBy(() -> ProcessModeLauncher.settings(binder(Map.of("prefork.enabled", "false"))))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("prefork.mode"))
			.withMessageContaining("prefork.enabled is false");
	}

	@Test
	void aCdsDirectoryIsMadeIfNeededAndOneThatCannotBeIsNamed(@TempDir Path directory) throws Exception {
		Path cache = directory.resolve("cache/cds");
		assertThat(ProcessModeLauncher.settings(binder(Map.of("prefork.process.cds-directory", cache.toString())))
			.cdsDirectory()).isEqualTo(cache);
		assertThat(cache).isDirectory();
		assertThat(ProcessModeLauncher.settings(binder(Map.of())).cdsDirectory()).isNull();
		Path file = Files.writeString(directory.resolve("a-file"), "");
		assertThatExceptionOfType(InvalidPreforkPropertyException.class)
			.isThrownBy(() -> ProcessModeLauncher.settings(
					binder(Map.of("prefork.process.cds-directory", file.resolve("cds").toString()))))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("prefork.process.cds-directory"))
			.withMessageContaining("a directory the application can create and write");
	}

	private static Binder binder(Map<String, String> properties) {
		return new Binder(new MapConfigurationPropertySource(properties));
	}

}
