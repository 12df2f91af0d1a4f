package dev.prefork.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.prefork.faults.app.ServerLogSummary;
import dev.prefork.faults.load.LoadWindow;
import dev.prefork.faults.scenario.ConformanceCorpus;
import dev.prefork.faults.scenario.Scenario;
import dev.prefork.faults.scenario.ScenarioContext;
import dev.prefork.faults.scenario.ScenarioResult;
import dev.prefork.faults.scenario.Scenarios;

/**
 * Runs the fault scenarios against the sample application, one fresh server process each, prints
 * {@code passed}/{@code failed} with counts per scenario and a closing {@code faults: N passed, N
 * failed} line, and exits non-zero if any scenario failed.
 */
public final class FaultHarness {

	private FaultHarness() {
	}

	public static void main(String[] args) throws Exception {
		HarnessOptions options;
		try {
			options = HarnessOptions.parse(args);
		}
		catch (HarnessOptions.HelpRequested ex) {
			System.out.print(HarnessOptions.USAGE);
			return;
		}
		catch (IllegalArgumentException ex) {
			System.err.println(ex.getMessage());
			System.exit(2);
			return;
		}
		List<Scenario> scenarios = Scenarios.all()
			.stream()
			.filter((scenario) -> options.only().isEmpty() || options.only().contains(scenario.name()))
			.toList();
		ScenarioContext context = new ScenarioContext(options.mode(), options.soak(), privateCopy(options.jar()),
				options.logs().toAbsolutePath(), ConformanceCorpus.locate(), options.sabotage());
		System.out.printf("Prefork fault harness, %s mode, %d scenarios, %s%n", options.mode().name().toLowerCase(),
				scenarios.size(), Versions.describe());
		System.out.println("sample app: " + options.jar() + "; server logs: " + options.logs().toAbsolutePath());
		if (options.sabotage()) {
			System.out.println("SABOTAGE: background load aimed at a closed port; every scenario must fail");
		}
		long start = System.nanoTime();
		List<ScenarioResult> results = new ArrayList<>();
		String command = commandLine(args);
		for (int i = 0; i < scenarios.size(); i++) {
			Scenario scenario = scenarios.get(i);
			System.out.printf("%n[%d/%d] %s%n", i + 1, scenarios.size(), scenario.name());
			ScenarioResult result = run(scenario, context);
			results.add(result);
			if (!result.passed()) {
				printServerLog(options.logs(), scenario.name());
			}
			if (options.results() != null) {
				// After every scenario, so that a run cut short (a full run takes ~20 min) leaves what it saw.
				ResultsReport.write(options.results(), results, command, (System.nanoTime() - start) / 1e9, options.notes());
			}
		}
		double seconds = (System.nanoTime() - start) / 1e9;
		long passed = results.stream().filter(ScenarioResult::passed).count();
		System.out.printf("%n%-18s %-7s %10s %8s  %s%n", "scenario", "result", "background", "failed", "by design");
		for (ScenarioResult result : results) {
			LoadWindow background = result.backgroundWindow();
			System.out.printf("%-18s %-7s %10s %8s  %s%n", result.name(), result.passed() ? "passed" : "FAILED",
					(background != null) ? background.sent() : "-", (background != null) ? background.failed() : "-",
					ResultsReport.byDesign(result.byDesignCounts()));
		}
		System.out.printf("%nrun took %.0f s%n", seconds);
		if (options.results() != null) {
			ResultsReport.write(options.results(), results, command, seconds, options.notes());
			System.out.println("results written to " + options.results());
		}
		System.out.println("faults: " + passed + " passed, " + (results.size() - passed) + " failed");
		System.exit((passed == results.size()) ? 0 : 1);
	}

	/** The harness's command line as the results file shows it: notes are printed apart. */
	private static String commandLine(String[] args) {
		StringBuilder line = new StringBuilder("java -jar prefork-fault-harness.jar");
		for (int i = 0; i < args.length; i++) {
			if (args[i].equals("--note")) {
				i++;
				continue;
			}
			line.append(' ').append(args[i]);
		}
		return line.toString();
	}

	private static ScenarioResult run(Scenario scenario, ScenarioContext context) {
		ScenarioResult result = new ScenarioResult(scenario.name());
		long start = System.nanoTime();
		try {
			scenario.run(context, result);
		}
		catch (Exception ex) {
			result.fail("scenario aborted: " + ex);
			ex.printStackTrace(System.out);
		}
		result.seconds((System.nanoTime() - start) / 1e9);
		print(result);
		return result;
	}

	private static void print(ScenarioResult result) {
		System.out.println("  injected: " + result.injectedDescription());
		if (result.backgroundWindow() != null) {
			System.out.println("  background: " + result.backgroundWindow().summary());
		}
		for (Map.Entry<String, String> measurement : result.measurements().entrySet()) {
			System.out.println("  " + measurement.getKey() + ": " + measurement.getValue());
		}
		result.notes().forEach((note) -> System.out.println("  note: " + note));
		result.failures().forEach((failure) -> System.out.println("  FAILED: " + failure));
		LoadWindow background = result.backgroundWindow();
		System.out.printf("%s: %s (background %s sent, %s failed; by design: %s) in %.1f s%n", result.name(),
				result.passed() ? "passed" : "failed", (background != null) ? background.sent() : "-",
				(background != null) ? background.failed() : "-", ResultsReport.byDesign(result.byDesignCounts()),
				result.seconds());
	}

	/** The failed scenario's server log, summed up: CI keeps this output, not the logs. */
	private static void printServerLog(Path logs, String scenario) {
		ServerLogSummary.of(logs.resolve(scenario + ".log")).forEach(System.out::println);
	}

	/**
	 * Runs a copy of the jar, so that a rebuild of the sample app during a run (others share the
	 * work tree) cannot pull the classes from under a running server.
	 */
	private static Path privateCopy(Path jar) throws IOException {
		Path dir = Files.createTempDirectory("prefork-faults");
		Path copy = dir.resolve(jar.getFileName());
		// Deleted at exit in reverse order of registration: the file first, then its directory.
		dir.toFile().deleteOnExit();
		copy.toFile().deleteOnExit();
		Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
		return copy;
	}

}
