package dev.prefork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dependencies point inward only: {@code autoconfigure → actuate/metrics/event → server → process}. The
 * engine knows nothing of Spring's wiring, actuator or Micrometer, so that it stays usable (and
 * testable) on its own and optional dependencies stay optional.
 */
class PackageDependencyTests {

	private static final Path SOURCES = Path.of("src/main/java/dev/prefork");

	private static final Pattern IMPORT = Pattern.compile("^import (?:static )?dev\\.prefork\\.(\\w+)", Pattern.MULTILINE);

	/** For each package, the other Prefork packages it may import. */
	private static final Map<String, Set<String>> ALLOWED = Map.of(
			"process", Set.of(),
			"server", Set.of("process"),
			"event", Set.of("server"),
			"metrics", Set.of("server", "process"),
			"actuate", Set.of("server", "process"),
			"autoconfigure", Set.of("server", "process", "event", "actuate", "metrics"));

	/** Packages that must not name optional libraries (the engine runs without them). */
	private static final Map<String, List<String>> FORBIDDEN_LIBRARIES = Map.of("server",
			List.of("io.micrometer", "org.springframework.boot.actuate", "org.springframework.boot.health",
					"org.springframework.boot.autoconfigure"),
			"process", List.of("org.springframework", "io.micrometer", "reactor."));

	@Test
	void preforkPackagesDependOnlyInward() throws IOException {
		List<String> violations = new ArrayList<>();
		try (Stream<Path> files = Files.walk(SOURCES)) {
			for (Path file : files.filter((path) -> path.toString().endsWith(".java")).toList()) {
				String owner = SOURCES.relativize(file).getName(0).toString();
				String source = Files.readString(file);
				Matcher imports = IMPORT.matcher(source);
				while (imports.find()) {
					String target = imports.group(1);
					if (!target.equals(owner) && !ALLOWED.getOrDefault(owner, Set.of()).contains(target)) {
						violations.add(file + " imports dev.prefork." + target);
					}
				}
				for (String library : FORBIDDEN_LIBRARIES.getOrDefault(owner, List.of())) {
					if (source.contains("import " + library)) {
						violations.add(file + " imports " + library);
					}
				}
			}
		}
		assertThat(violations).isEmpty();
	}

	@Test
	void everyPackageIsKnownToTheRules() throws IOException {
		try (Stream<Path> packages = Files.list(SOURCES)) {
			assertThat(packages.filter(Files::isDirectory).map((path) -> path.getFileName().toString()))
				.allMatch(ALLOWED::containsKey);
		}
	}

}
