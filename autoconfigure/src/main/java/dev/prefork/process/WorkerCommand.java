package dev.prefork.process;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

	/** Environment variable naming the scoreboard file (see {@link Scoreboard}). */
	public static final String SCOREBOARD = "PREFORK_SCOREBOARD";

	/** Environment variable with the worker's slot in the scoreboard. */
	public static final String SLOT = "PREFORK_WORKER_SLOT";

	private final List<String> command;

	WorkerCommand(List<String> command) {
		this.command = List.copyOf(command);
	}

	/**
	 * The command that started this JVM, with {@code mainClass} and {@code args} (those of the
	 * application, as {@code SpringApplication} was given them).
	 */
	public static WorkerCommand ofThisJvm(String mainClass, String[] args) {
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
		String classPath = System.getProperty("java.class.path", "");
		String launched = System.getProperty("sun.java.command", "");
		if (launched.equals(classPath) || launched.startsWith(classPath + " ")) {
			// java -jar app.jar: the class path is the jar, and the launcher its manifest names.
			command.add("-jar");
			command.add(classPath);
		}
		else {
			command.add("-cp");
			command.add(classPath);
			command.add(launched.isEmpty() ? mainClass : launched.split(" ", 2)[0]);
		}
		command.addAll(List.of(args));
		return new WorkerCommand(command);
	}

	List<String> command() {
		return this.command;
	}

	@Override
	public String toString() {
		return String.join(" ", this.command);
	}

}
