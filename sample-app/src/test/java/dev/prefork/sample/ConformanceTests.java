package dev.prefork.sample;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shared HTTP conformance corpus (valid and invalid raw requests, from gunicorn's test suite)
 * passes with zero failures against the sample application's {@code conformance} profile.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ActiveProfiles("conformance")
class ConformanceTests {

	@LocalServerPort
	private int port;

	@Test
	void conformanceCorpusPassesWithZeroFailures() throws Exception {
		Path conformance = findConformanceFolder();
		Process process = new ProcessBuilder("python3", conformance.resolve("run_corpus.py").toString(), "--host",
				"127.0.0.1", "--port", Integer.toString(this.port), conformance.resolve("gunicorn-requests").toString())
			.redirectErrorStream(true)
			.start();
		boolean finished = process.waitFor(5, TimeUnit.MINUTES);
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(finished).as("corpus run finished").isTrue();
		List<String> lines = output.lines().toList();
		List<String> failures = lines.stream().filter((line) -> line.startsWith("FAIL")).toList();
		assertThat(failures).as(output).isEmpty();
		assertThat(lines).as(output).last().asString().matches("conformance: \\d+ passed, 0 failed");
		assertThat(process.exitValue()).isZero();
	}

	/** The corpus lives in {@code ../shared/conformance} beside the repository's root. */
	private static Path findConformanceFolder() throws IOException {
		Path dir = Path.of("").toAbsolutePath();
		while (dir != null) {
			Path candidate = dir.resolveSibling("shared").resolve("conformance");
			if (Files.isRegularFile(candidate.resolve("run_corpus.py"))) {
				return candidate;
			}
			dir = dir.getParent();
		}
		throw new IOException("../shared/conformance/run_corpus.py not found above " + Path.of("").toAbsolutePath());
	}

}
