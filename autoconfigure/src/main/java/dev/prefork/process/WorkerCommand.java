package dev.prefork.process;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * How the arbiter starts a worker JVM: the command line the arbiter itself was started with
 * (same Java, same JVM options, same jar or class path and main class, same arguments), so that
 * a worker runs exactly the application the operator started, and a jar replaced on disk is what
 * the next worker runs. The worker learns from its environment that it is one.
 */
public final class WorkerCommand {

	/** Environment variable naming the control socket; its presence makes a JVM a worker. */
	public static final String CONTROL_SOCKET = "PREFORK_CONTROL_SOCKET";

	/** Environment variable with the worker's number (1, 2, ...). */
	public static final String WORKER_ID = "PREFORK_WORKER_ID";

	/**
	 * Environment variable set when the arbiter also shares the management server's socket
	 * ({@code management.server.port}): it is the second descriptor the worker is sent.
	 */
	public static final String MANAGEMENT_SOCKET = "PREFORK_MANAGEMENT_SOCKET";

	/**
	 * Environment variable set for the class data cache's training run: its presence keeps that
	 * JVM from becoming an arbiter, whatever its configuration and arguments say.
	 */
	public static final String TRAINING = "PREFORK_CDS_TRAINING";

	/** Environment variable naming the scoreboard file (see {@link Scoreboard}). */
	public static final String SCOREBOARD = "PREFORK_SCOREBOARD";

	/** Environment variable with the worker's slot in the scoreboard. */
	public static final String SLOT = "PREFORK_WORKER_SLOT";

	private final String java;

	private final List<String> jvmOptions;

	/** {@code -jar <jar>}, or {@code -cp <class path> <main class>}. */
	private final List<String> launch;

	private final List<String> args;

	WorkerCommand(String java, List<String> jvmOptions, List<String> launch, List<String> args) {
		this.java = java;
		this.jvmOptions = List.copyOf(jvmOptions);
		this.launch = List.copyOf(launch);
		this.args = List.copyOf(args);
	}

	/**
	 * The command that started this JVM, with {@code mainClass} and {@code args} (those of the
	 * application, as {@code SpringApplication} was given them).
	 */
	public static WorkerCommand ofThisJvm(String mainClass, String[] args) {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		String classPath = System.getProperty("java.class.path", "");
		String launched = System.getProperty("sun.java.command", "");
		List<String> launch = (launched.equals(classPath) || launched.startsWith(classPath + " "))
				// java -jar app.jar: the class path is the jar, and the launcher its manifest names.
				? List.of("-jar", classPath)
				: List.of("-cp", classPath, launched.isEmpty() ? mainClass : launched.split(" ", 2)[0]);
		return new WorkerCommand(java, ManagementFactory.getRuntimeMXBean().getInputArguments(), launch,
				List.of(args));
	}

	List<String> command() {
		List<String> command = new ArrayList<>();
		command.add(this.java);
		command.addAll(this.jvmOptions);
		command.addAll(this.launch);
		command.addAll(this.args);
		return command;
	}

	/** The application's jar when it was started with {@code java -jar}; {@code null} otherwise. */
	@Nullable Path jar() {
		return this.launch.get(0).equals("-jar") ? Path.of(this.launch.get(1)) : null;
	}

	List<String> jvmOptions() {
		return this.jvmOptions;
	}

	boolean hasJvmOption(String prefix) {
		return this.jvmOptions.stream().anyMatch((option) -> option.startsWith(prefix));
	}

	/** The same command running {@code jar} instead, with {@code moreOptions} after its own. */
	WorkerCommand running(Path jar, List<String> moreOptions) {
		List<String> options = new ArrayList<>(this.jvmOptions);
		options.addAll(moreOptions);
		return new WorkerCommand(this.java, options, List.of("-jar", jar.toString()), this.args);
	}

	/** Boot's tools jar mode extracting {@code jar} into {@code destination}, with this command's Java. */
	List<String> extraction(Path jar, Path destination) {
		return List.of(this.java, "-Djarmode=tools", "-jar", jar.toString(), "extract", "--destination",
				destination.toString());
	}

	/**
	 * This command as a training run that stops once the application context is refreshed (no
	 * server started, no runner run) and writes the classes it loaded to {@code archive}; in
	 * thread mode, so that it does not become an arbiter itself.
	 */
	List<String> training(Path archive) {
		List<String> command = new ArrayList<>();
		command.add(this.java);
		command.addAll(this.jvmOptions);
		command.add("-XX:ArchiveClassesAtExit=" + archive);
		command.add("-Dspring.context.exit=onRefresh");
		command.addAll(this.launch);
		// Boot joins a property given twice on the command line into a list: the mode goes once.
		this.args.stream().filter((arg) -> !arg.startsWith("--prefork.mode=")).forEach(command::add);
		command.add("--prefork.mode=threads");
		return command;
	}

	@Override
	public String toString() {
		return String.join(" ", command());
	}

}
