package dev.prefork.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The worker JVMs of an arbiter and each one's way out: those serving or booting, those told to
 * stop until they have exited, and what the ended ones leave behind for the whole server's view
 * (exits by reason, the requests they finished). A worker that times out gets its threads
 * dumped, SIGTERM a second later, then SIGKILL; one stopped for any other reason gets the
 * graceful timeout before SIGKILL. Which workers to start and when to stop them is the
 * arbiter's business; only the arbiter's thread changes the table (the control channel reads it).
 */
final class WorkerProcesses {

	/** The arbiter's category: operators read the workers' comings and goings as the arbiter's. */
	private static final Log logger = LogFactory.getLog(ProcessArbiter.class);

	/** A timed-out worker gets this long to print its threads before SIGTERM. */
	private static final long DUMP_MILLIS = 1000;

	/** A worker gets this long after SIGTERM (or its graceful timeout) before SIGKILL. */
	static final long TERM_MILLIS = 5000;

	private static final String TIMED_OUT = "timed out";

	/** How long a worker that got SIGKILL is waited for, at most. */
	private static final long KILLED_MILLIS = 5000;

	private static final long WAIT_MILLIS = 100;

	private final Duration gracefulTimeout;

	/** Workers serving or booting, by number. */
	private final Map<Integer, WorkerProcess> current = new ConcurrentHashMap<>();

	/** Workers told to stop, until they exit. */
	private final Map<Integer, WorkerProcess> leaving = new ConcurrentHashMap<>();

	/** Worker JVMs that ended, by reason, since the arbiter started. */
	private final Map<String, Long> exits = new TreeMap<>();

	/** Requests finished by worker JVMs that have ended. */
	private long exitedRequests;

	private @Nullable Scoreboard scoreboard;

	WorkerProcesses(Duration gracefulTimeout) {
		this.gracefulTimeout = gracefulTimeout;
	}

	/** The scoreboard whose slot a worker that has gone is cleared in. */
	void useScoreboard(Scoreboard scoreboard) {
		this.scoreboard = scoreboard;
	}

	/** The workers serving or booting, by number: the map itself, for the rolling replacements. */
	Map<Integer, WorkerProcess> current() {
		return this.current;
	}

	Collection<WorkerProcess> serving() {
		return this.current.values();
	}

	/** Every worker alive or not yet seen to have exited, by number. */
	List<WorkerProcess> all() {
		List<WorkerProcess> all = new ArrayList<>(this.current.values());
		all.addAll(this.leaving.values());
		all.sort((a, b) -> Integer.compare(a.id(), b.id()));
		return all;
	}

	/** The worker with this number, serving, booting or leaving. */
	@Nullable WorkerProcess find(int id) {
		WorkerProcess worker = this.current.get(id);
		return (worker != null) ? worker : this.leaving.get(id);
	}

	void started(WorkerProcess worker) {
		this.current.put(worker.id(), worker);
	}

	/** The lowest scoreboard slot no worker alive holds. */
	int freeSlot() {
		boolean[] used = new boolean[Scoreboard.SLOTS];
		this.current.values().forEach((worker) -> used[worker.slot()] = true);
		this.leaving.values().forEach((worker) -> used[worker.slot()] = true);
		int slot = 0;
		while (slot < used.length - 1 && used[slot]) {
			slot++;
		}
		return slot;
	}

	/** Stops a worker gracefully (SIGTERM), SIGKILL after the graceful timeout. */
	void retire(WorkerProcess worker, String reason) {
		this.current.remove(worker.id());
		if (worker.stopping(reason)) {
			this.leaving.put(worker.id(), worker);
			logger.info("Stopping " + worker + " (" + reason + ")");
			worker.terminate();
		}
	}

	/** Stops a worker that timed out: its threads dumped first, then SIGTERM, then SIGKILL. */
	void timedOut(WorkerProcess worker, String reason) {
		this.current.remove(worker.id());
		if (worker.stopping(TIMED_OUT + ": " + reason)) {
			this.leaving.put(worker.id(), worker);
			worker.dumpThreads();
		}
	}

	/** A worker that exited without being told to: counted, its slot freed. */
	void exitedOnItsOwn(WorkerProcess worker, String reason) {
		this.current.remove(worker.id());
		exited(worker, reason);
	}

	/** Counts the leaving workers that have exited, and escalates to those that take too long. */
	void reapOrEscalate(long now) {
		for (WorkerProcess worker : List.copyOf(this.leaving.values())) {
			long stoppingMillis = TimeUnit.NANOSECONDS.toMillis(now - worker.stoppingSinceNanos());
			String reason = worker.stopReason();
			boolean timedOut = reason != null && reason.startsWith(TIMED_OUT);
			if (!worker.process().isAlive()) {
				this.leaving.remove(worker.id());
				exited(worker, exitReason(reason));
				logger.info(worker + " exited (" + reason + "): " + worker.describeExit());
				continue;
			}
			if (timedOut && stoppingMillis >= DUMP_MILLIS && worker.terminateOnce()) {
				logger.warn(worker + ": sending SIGTERM");
			}
			long killAfter = timedOut ? DUMP_MILLIS + TERM_MILLIS : this.gracefulTimeout.toMillis() + TERM_MILLIS;
			if (stoppingMillis >= killAfter) {
				logger.warn(worker + " did not exit " + (timedOut ? "after SIGTERM" : "within the graceful timeout")
						+ ": sending SIGKILL");
				worker.kill();
			}
		}
	}

	private void exited(WorkerProcess worker, String reason) {
		Scoreboard board = this.scoreboard;
		if (board != null) {
			board.set(worker.slot(), 0); // a gone worker's connections are gone too
		}
		this.exits.merge(reason, 1L, Long::sum);
		this.exitedRequests += worker.completed();
	}

	/** The reason a stopped worker is counted under, from the reason it was stopped for. */
	private static String exitReason(@Nullable String stopReason) {
		if (stopReason == null) {
			return "stopped";
		}
		if (stopReason.startsWith(TIMED_OUT)) {
			return "timed-out";
		}
		if (stopReason.startsWith("recycled")) {
			return "recycled";
		}
		return stopReason.replace(' ', '-');
	}

	/** Samples every worker (memory, CPU). */
	void sample() {
		this.current.values().forEach(WorkerProcess::sample);
		this.leaving.values().forEach(WorkerProcess::sample);
	}

	/** The whole server as the arbiter sees it now (see {@link ProcessView}). */
	ProcessView view(long now, int target, int spawned) {
		List<ProcessView.Worker> workers = all().stream().map((worker) -> worker.view(now)).toList();
		long total = this.exitedRequests + workers.stream().mapToLong(ProcessView.Worker::requests).sum();
		return new ProcessView(ProcessHandle.current().pid(), target, spawned, total, Map.copyOf(this.exits), workers);
	}

	/**
	 * SIGTERM to every worker, and SIGKILL to those still running at the deadline, which
	 * {@code deadlineNow} may bring forward while the workers stop (a quick stop asked for
	 * meanwhile); it is also how the arbiter keeps its own duties (orphans) going meanwhile.
	 */
	void stopAll(long killAfterMillis, LongUnaryOperator deadlineNow) {
		List<WorkerProcess> all = all();
		all.forEach(WorkerProcess::terminate);
		long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(killAfterMillis);
		for (WorkerProcess worker : all) {
			try {
				while (!worker.awaitExit(Math.max(0, Math.min(WAIT_MILLIS, millisUntil(deadline))))) {
					if (millisUntil(deadline) <= 0) {
						logger.warn(worker + " did not stop in time: sending SIGKILL");
						worker.kill();
						worker.awaitExit(KILLED_MILLIS);
						break;
					}
					deadline = deadlineNow.applyAsLong(deadline);
				}
				logger.info(worker + " exited: " + worker.describeExit());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				worker.kill();
			}
		}
		this.current.clear();
		this.leaving.clear();
	}

	private static long millisUntil(long deadline) {
		return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
	}

	/** Last resort when the arbiter itself goes: no worker may outlive it. */
	void killAll() {
		this.current.values().forEach(WorkerProcess::kill);
		this.leaving.values().forEach(WorkerProcess::kill);
	}

}
