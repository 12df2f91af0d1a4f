package dev.prefork.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The arbiter's child processes. Run as PID 1 (a container's first process), the arbiter becomes
 * the parent of every process whose own parent exits, such as what a worker JVM started before it
 * was killed; one of those that exits stays a zombie, holding its pid, until its parent waits for
 * it. Java waits only for the processes it started, so the arbiter waits for the others itself,
 * once a second, from its start to its exit. Every process it starts goes through
 * {@link #start}: those are Java's to wait for, and their exit status, which the log reports,
 * must not be taken from under it.
 */
final class Children {

	private static final Log logger = LogFactory.getLog(Children.class);

	/** Held while a process starts and while orphans are reaped: a new child is never taken for one. */
	private static final Object STARTING = new Object();

	/** Children Java waits for, until it has, by pid. */
	private static final Map<Long, Process> STARTED = new ConcurrentHashMap<>();

	private static final long REAP_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

	private final @Nullable NativeWait wait;

	/** When the arbiter's thread, the only caller, next waits for orphans. */
	private long nextReapNanos = System.nanoTime();

	private Children(@Nullable NativeWait wait) {
		this.wait = wait;
	}

	/** Starts {@code builder}'s process, as every process the arbiter starts must be. */
	static Process start(ProcessBuilder builder) throws IOException {
		synchronized (STARTING) {
			Process process = builder.start();
			long pid = process.pid();
			STARTED.put(pid, process);
			// Completes once Java has waited for it: the pid is no child of this process any more.
			// Only its own entry goes: a later child may have been given the same pid meanwhile.
			process.onExit().thenRun(() -> STARTED.remove(pid, process));
			return process;
		}
	}

	/**
	 * Whoever waits for the orphans: nobody when the arbiter is not PID 1 (an init does), nor on a
	 * JVM that cannot wait for a process it did not start, which is said at startup.
	 */
	static Children ofThisProcess() {
		if (ProcessHandle.current().pid() != 1) {
			return new Children(null);
		}
		NativeWait wait = NativeWait.load();
		if (wait == null) {
			logger.warn("The arbiter is PID 1 and Java " + Runtime.version().feature() + " cannot wait for the "
					+ "processes it did not start: orphans left by the workers will stay zombies. Run it under an "
					+ "init (docker run --init, tini), or on Java 22 or later");
		}
		else {
			logger.info("The arbiter is PID 1: it waits for the orphans its workers leave");
		}
		return new Children(wait);
	}

	/**
	 * Waits for every exited child the arbiter did not start, if a second has passed since it last
	 * did: the pass over {@code /proc} costs more than the arbiter's tick allows for.
	 */
	void reapOrphansIfDue() {
		NativeWait wait = this.wait;
		long now = System.nanoTime();
		if (wait == null || now - this.nextReapNanos < 0) {
			return;
		}
		this.nextReapNanos = now + REAP_INTERVAL_NANOS;
		int reaped = 0;
		synchronized (STARTING) {
			for (long zombie : exitedChildren()) {
				if (!STARTED.containsKey(zombie) && wait.reap(zombie)) {
					reaped++;
				}
			}
		}
		if (reaped > 0 && logger.isDebugEnabled()) {
			logger.debug("Waited for " + Counted.of(reaped, "orphaned process") + " that had exited");
		}
	}

	/**
	 * The children of this process that exited and wait for it (state {@code Z} in
	 * {@code /proc/<pid>/stat}): one pass over {@code /proc}, and a wait only for those, however
	 * many live orphans the container holds.
	 */
	private static List<Long> exitedChildren() {
		String self = Long.toString(ProcessHandle.current().pid());
		List<Long> exited = new ArrayList<>();
		try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"),
				(path) -> Character.isDigit(path.getFileName().toString().charAt(0)))) {
			for (Path process : processes) {
				try {
					String stat = Files.readString(process.resolve("stat"));
					// pid (comm) state ppid ...: comm may hold spaces and parentheses.
					String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 3);
					if (fields[0].equals("Z") && fields[1].equals(self)) {
						exited.add(Long.parseLong(process.getFileName().toString()));
					}
				}
				catch (IOException | RuntimeException ex) {
					// Gone since it was listed.
				}
			}
		}
		catch (IOException ex) {
			// No /proc: nothing to find.
		}
		return exited;
	}

}
