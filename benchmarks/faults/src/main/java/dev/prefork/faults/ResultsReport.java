package dev.prefork.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.prefork.faults.scenario.ScenarioResult;

/** The results of a run as Markdown: one table row per scenario, then each scenario's details. */
final class ResultsReport {

	private ResultsReport() {
	}

	static void write(Path file, List<ScenarioResult> results, String command, double seconds, List<String> notes)
			throws IOException {
		StringBuilder md = new StringBuilder("# Prefork under fire: fault-injection and soak results\n\n");
		md.append("Written by `benchmarks/faults` (").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(").\n\n");
		md.append("- command: `").append(command).append("`\n");
		md.append("- machine: ").append(Versions.describe()).append('\n');
		notes.forEach((note) -> md.append("- ").append(note).append('\n'));
		md.append(String.format("- run time: %.0f s; every scenario on a fresh sample-app process under background load "
				+ "(8 keep-alive connections alternating GET /hello and GET /work?ms=10, ~400 req/s)%n", seconds));
		md.append("- a background request fails on any status but 200, a connection error, a reset, a connection closed "
				+ "without an answer or no answer within 10 s; the client never retries\n\n");
		md.append("| scenario | injected | background sent | background failed | by design | key measurements | result |\n");
		md.append("|---|---|---:|---:|---|---|---|\n");
		for (ScenarioResult result : results) {
			md.append("| ").append(result.name())
				.append(" | ").append(cell(result.injectedDescription()))
				.append(" | ").append((result.backgroundWindow() != null) ? String.format("%,d", result.backgroundWindow().sent()) : "-")
				.append(" | ").append((result.backgroundWindow() != null) ? String.format("%,d", result.backgroundWindow().failed()) : "-")
				.append(" | ").append(cell(byDesign(result.byDesignCounts())))
				.append(" | ").append(cell(measurements(result.measurements())))
				.append(" | ").append(result.passed() ? "passed" : "**failed**: " + cell(String.join("; ", result.failures())))
				.append(" |\n");
		}
		long passed = results.stream().filter(ScenarioResult::passed).count();
		md.append("\n").append(passed).append(" passed, ").append(results.size() - passed).append(" failed\n");
		for (ScenarioResult result : results) {
			if (result.details().isEmpty() && result.notes().isEmpty()) {
				continue;
			}
			md.append("\n## ").append(result.name()).append("\n\n");
			result.notes().forEach((note) -> md.append("- ").append(note).append('\n'));
			result.details().forEach((detail) -> md.append('\n').append(detail).append('\n'));
		}
		Files.createDirectories(file.toAbsolutePath().getParent());
		Files.writeString(file, md.toString());
	}

	static String byDesign(Map<String, Long> counts) {
		return counts.isEmpty() ? "-"
				: counts.entrySet().stream().map((entry) -> String.format("%,d %s", entry.getValue(), entry.getKey()))
					.collect(Collectors.joining("; "));
	}

	private static String measurements(Map<String, String> measurements) {
		return measurements.entrySet().stream().map((entry) -> entry.getKey() + ": " + entry.getValue())
			.collect(Collectors.joining("<br>"));
	}

	private static String cell(String text) {
		return text.replace("|", "\\|").replace("\n", " ");
	}

}
