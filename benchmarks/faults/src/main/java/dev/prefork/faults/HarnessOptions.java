package dev.prefork.faults;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.prefork.faults.scenario.ScenarioContext.Mode;

/**
 * The command line.
 *
 * @param mode short (CI, the whole run under 3 minutes) or full (real durations)
 * @param soak soak duration in full mode
 * @param jar the sample application's repackaged jar
 * @param logs where each scenario's server log goes
 * @param results Markdown file to write the results table to, or {@code null}
 * @param only scenario names to run (empty: all)
 * @param sabotage point the background load at a closed port (every scenario must then fail)
 * @param notes lines for the results file's header (which engine build ran, for instance)
 */
record HarnessOptions(Mode mode, Duration soak, Path jar, Path logs, Path results, List<String> only,
		boolean sabotage, List<String> notes) {

	static final String USAGE = """
			usage: FaultHarness [--short | --full] [--soak-minutes N] [--jar SAMPLE_APP_JAR] [--logs DIR]
			                    [--results FILE.md] [--only NAME[,NAME...]] [--sabotage] [--note TEXT]
			  --short          every scenario shortened, whole run < 3 min, soak 20 s (default; CI)
			  --full           real durations, 10-minute soak
			  --soak-minutes   soak duration in full mode (e.g. 60)
			  --jar            sample app jar (default: sample-app/target/prefork-sample-app-0.1.0-SNAPSHOT.jar above here)
			  --logs           server logs, one per scenario (default: target/fault-logs)
			  --results        write the results table (Markdown) to this file
			  --only           run only these scenarios
			  --sabotage       aim the background load at a closed port: proves that every scenario can fail
			  --note TEXT      a line for the results file's header (repeatable)
			  --help           this text
			""";

	static HarnessOptions parse(String[] args) {
		Mode mode = Mode.SHORT;
		Duration soak = Duration.ofMinutes(10);
		Path jar = null;
		Path logs = Path.of("target", "fault-logs");
		Path results = null;
		List<String> only = new ArrayList<>();
		boolean sabotage = false;
		List<String> notes = new ArrayList<>();
		for (int i = 0; i < args.length; i++) {
			switch (args[i]) {
				case "--short" -> mode = Mode.SHORT;
				case "--full" -> mode = Mode.FULL;
				case "--soak-minutes" -> soak = Duration.ofMinutes(Long.parseLong(value(args, ++i)));
				case "--jar" -> jar = Path.of(value(args, ++i));
				case "--logs" -> logs = Path.of(value(args, ++i));
				case "--results" -> results = Path.of(value(args, ++i));
				case "--only" -> only.addAll(List.of(value(args, ++i).split(",")));
				case "--sabotage" -> sabotage = true;
				case "--note" -> notes.add(value(args, ++i));
				case "--help", "-h" -> throw new HelpRequested();
				default -> throw new IllegalArgumentException("unknown option " + args[i] + "\n" + USAGE);
			}
		}
		return new HarnessOptions(mode, soak, (jar != null) ? jar : findSampleJar(), logs, results, List.copyOf(only),
				sabotage, List.copyOf(notes));
	}

	private static String value(String[] args, int index) {
		if (index >= args.length) {
			throw new IllegalArgumentException(args[index - 1] + " needs a value\n" + USAGE);
		}
		return args[index];
	}

	/** {@code --help}: print the usage and exit successfully. */
	static final class HelpRequested extends IllegalArgumentException {

		HelpRequested() {
			super(USAGE);
		}

	}

	private static Path findSampleJar() {
		Path jar = Path.of("sample-app", "target", "prefork-sample-app-0.1.0-SNAPSHOT.jar");
		for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
			if (Files.isRegularFile(dir.resolve(jar))) {
				return dir.resolve(jar);
			}
		}
		throw new IllegalArgumentException("sample app jar not found (build it with mvn install -DskipTests, or pass --jar)");
	}

}
