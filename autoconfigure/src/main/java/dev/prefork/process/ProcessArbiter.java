package dev.prefork.process;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * gunicorn's arbiter for JVMs: binds the listening socket, boots {@code workers} worker JVMs that
 * accept on it, and keeps them running. A worker that exits is replaced (with a growing back-off
 * while new workers keep failing to boot, and a halt after {@link #MAX_BOOT_FAILURES}); one that
 * stops heart-beating, or whose threads are all busy with nothing finished, for {@code timeout}
 * gets its threads dumped, SIGTERM, then SIGKILL, and is replaced. Signals as gunicorn's: TERM
 * stops gracefully, INT and QUIT quickly, HUP restarts the workers one at a time (new worker
 * ready first), TTIN and TTOU add and remove one. Runs none of the application's code.
 */
public final class ProcessArbiter {

	private static final Log logger = LogFactory.getLog(ProcessArbiter.class);

	/** Workers in a row that fail to boot before the arbiter gives up (gunicorn halts on the first). */
	static final int MAX_BOOT_FAILURES = 5;

	/** Most worker JVMs a scale request may ask for, as in thread mode. */
	public static final int MAX_WORKERS = 1024;

	private static final long TICK_MILLIS = 100;

	/** A quick shutdown gives workers this long after SIGTERM. */
	private static final long QUICK_MILLIS = 2000;

	/** The longest wait before trying again: a worker boot after failures, recycling after a failed replacement. */
	static final long MAX_BACKOFF_MILLIS = 30_000;

	/** A worker that crashes this soon after it started counts as one that failed to boot. */
	private static final long CRASH_LOOP_NANOS = TimeUnit.SECONDS.toNanos(30);

	/** How long a booting worker JVM holds up the next one's boot, at most. */
	private static final long ONE_BOOT_NANOS = TimeUnit.SECONDS.toNanos(10);

	private static final String STOPPED_WHILE_BOOTING = "it was stopped while its workers booted";

	private final ProcessArbiterSettings settings;

	/** The command new worker JVMs run. */
	private final Releases releases;

	private final PrintStream output;

	/** The orphans the arbiter waits for when it is PID 1. */
	private final Children children = Children.ofThisProcess();

	private final BlockingQueue<Command> commands = new ArrayBlockingQueue<>(64);

	/** Operators' requests relayed by workers, run on the arbiter's thread like its commands. */
	private final BlockingQueue<Runnable> requests = new ArrayBlockingQueue<>(64);

	private final WorkerProcesses workers;

	/** Workers due to be replaced one at a time (a rolling restart, or recycling). */
	private final Replacements replacements = new Replacements();

	/** When the workers are next sampled (memory, CPU) and told the whole server's view. */
	private long nextSampleNanos;

	/** The arbiter's own descriptors of the listening sockets, closed first when it stops. */
	private final List<ListenSocket> listeners = new ArrayList<>();

	private int target;

	private int spawned;

	private int bootFailures;

	private long nextSpawnNanos;

	private @Nullable Path controlSocket;

	private @Nullable Path scoreboardPath;

	private volatile boolean running;

	public ProcessArbiter(ProcessArbiterSettings settings, WorkerCommand command, PrintStream output) {
		this.settings = settings;
		this.releases = new Releases(command, (settings.cdsDirectory() != null)
				? new ClassDataCache(settings.cdsDirectory(), settings.bootTimeout()) : null);
		this.output = output;
		this.target = settings.workers();
		this.workers = new WorkerProcesses(settings.gracefulTimeout());
	}

	/** Runs until the arbiter is stopped or halts; returns the process's exit code. */
	public int run() {
		Path directory = null;
		EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
				new DefaultThreadFactory("prefork-control", true), EpollIoHandler.newFactory());
		Thread killOnExit = new Thread(this::killEveryWorker, "prefork-kill-workers");
		Runtime.getRuntime().addShutdownHook(killOnExit);
		ProcessArbiterSettings.Listener management = this.settings.management();
		try (ListenSocket listen = ListenSocket.bind(address(this.settings.address(), this.settings.port()));
				ListenSocket managementListen = (management != null)
						? ListenSocket.bind(address(management.address(), management.port())) : null) {
			StaleDirectories.removeUnder(Path.of(System.getProperty("java.io.tmpdir")));
			directory = Files.createTempDirectory(StaleDirectories.PREFIX,
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
			List<FileDescriptor> shared = (managementListen != null)
					? List.of(listen.descriptor(), managementListen.descriptor()) : List.of(listen.descriptor());
			try (FileChannel claim = StaleDirectories.claim(directory);
					ControlServer control = ControlServer.bind(directory.resolve("control.sock"), group, shared,
							new Messages())) {
				this.controlSocket = control.path();
				this.scoreboardPath = directory.resolve("scoreboard");
				this.workers.useScoreboard(Scoreboard.create(this.scoreboardPath));
				return serve(listen, managementListen);
			}
		}
		catch (IOException ex) {
			logger.error("Shutting down: Arbiter could not start: " + ex.getMessage(), ex);
			killEveryWorker();
			return 1;
		}
		finally {
			group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
			if (directory != null) {
				deleteQuietly(directory);
			}
			try {
				Runtime.getRuntime().removeShutdownHook(killOnExit);
			}
			catch (IllegalStateException ex) {
				// The JVM is already shutting down; the hook runs anyway.
			}
		}
	}

	private int serve(ListenSocket listen, @Nullable ListenSocket managementListen) throws IOException {
		this.running = true;
		ArbiterSignals.install(this::command);
		if (!awaitFirstBuild()) {
			logger.info("Shutting down: Arbiter (stopped while its workers booted)");
			return 0;
		}
		logger.info("Arbiter booting " + Counted.of(this.target, "worker process") + " for port " + listen.port());
		for (int i = 0; i < this.target; i++) {
			spawn();
		}
		this.listeners.add(listen);
		if (managementListen != null) {
			this.listeners.add(managementListen);
		}
		String failure = awaitBoot();
		if (failure == STOPPED_WHILE_BOOTING) {
			logger.info("Shutting down: Arbiter (stopped while its workers booted)");
			stopEveryWorker(QUICK_MILLIS);
			return 0;
		}
		if (failure != null) {
			logger.error("Shutting down: Arbiter halted because " + failure);
			stopEveryWorker(QUICK_MILLIS);
			return 1;
		}
		listen.listen(this.settings.backlog());
		if (managementListen != null) {
			managementListen.listen(this.settings.backlog());
		}
		// Before the application's line, which tells a watcher that everything listens.
		if (managementListen != null) {
			logger.info("Prefork arbiter listening on port " + managementListen.port()
					+ " (http) for the management server at " + describe(managementListen.address()));
		}
		logger.info(startedMessage(listen.address()));
		// The arbiter started as the application, and reading its configuration left garbage and a
		// heap sized for it; one collection now gives most of that memory back to the machine.
		System.gc();
		return loop();
	}

	private static InetSocketAddress address(@Nullable InetAddress address, int port) {
		return (address != null) ? new InetSocketAddress(address, port) : new InetSocketAddress(port);
	}

	private static String describe(InetSocketAddress address) {
		return address.getAddress().isAnyLocalAddress() ? "every address" : address.getAddress().getHostAddress();
	}

	private String startedMessage(InetSocketAddress address) {
		return "Prefork arbiter listening on port " + address.getPort() + " (http) at " + describe(address)
				+ ", process mode: " + Counted.of(this.target, "worker process") + " x "
				+ Counted.of(this.settings.threads(), "thread") + ", backlog " + this.settings.backlog() + ", timeout "
				+ print(this.settings.timeout()) + ", timeout-per-shutdown-phase " + print(this.settings.gracefulTimeout());
	}

	/** With a class data cache, its build for the first workers; {@code false} when stopped meanwhile. */
	private boolean awaitFirstBuild() {
		if (!this.releases.builds()) {
			return true;
		}
		this.releases.build();
		while (this.releases.poll() == null) {
			Command command = poll();
			if (command == Command.STOP || command == Command.QUICK_STOP) {
				this.releases.cancel();
				return false;
			}
		}
		return true;
	}

	/** Every first worker booted and ready, or why not: boot is all or nothing. */
	private @Nullable String awaitBoot() {
		long deadline = System.nanoTime() + this.settings.bootTimeout().toNanos();
		while (this.running) {
			for (WorkerProcess worker : this.workers.serving()) {
				if (!worker.process().isAlive()) {
					return worker + " failed to boot (" + worker.describeExit() + "); its last output:\n"
							+ String.join("\n", worker.outputTail());
				}
			}
			if (this.workers.serving().stream().allMatch((worker) -> worker.state() == WorkerProcess.State.READY)) {
				return null;
			}
			if (System.nanoTime() - deadline > 0) {
				return "workers did not boot within " + print(this.settings.bootTimeout());
			}
			Command command = poll();
			if (command == Command.STOP || command == Command.QUICK_STOP) {
				return STOPPED_WHILE_BOOTING;
			}
		}
		return STOPPED_WHILE_BOOTING;
	}

	private int loop() {
		while (this.running) {
			for (Runnable request = this.requests.poll(); request != null; request = this.requests.poll()) {
				request.run();
			}
			if (Boolean.TRUE.equals(this.releases.poll())) {
				restartEveryWorker();
			}
			Command command = poll();
			if (command != null) {
				if (handle(command)) {
					return 0;
				}
			}
			int halt = supervise();
			if (halt != 0) {
				stopEveryWorker(QUICK_MILLIS);
				return halt;
			}
		}
		return 0;
	}

	/**
	 * Waits a tick for a command. Every wait of the arbiter's thread goes through here or through
	 * {@link #quickerIfAsked}, so orphans are waited for in every phase: while a class data cache
	 * builds, while workers boot, while they serve and while they stop.
	 */
	private @Nullable Command poll() {
		this.children.reapOrphansIfDue();
		try {
			return this.commands.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return Command.QUICK_STOP;
		}
	}

	void command(Command command) {
		if (!this.commands.offer(command)) {
			logger.warn("Arbiter command queue is full; dropping " + command);
		}
	}

	/** Runs one command; {@code true} when the arbiter has stopped. */
	private boolean handle(Command command) {
		switch (command) {
			case STOP -> {
				logger.info("Shutting down: Arbiter (graceful, up to " + print(this.settings.gracefulTimeout()) + ")");
				closeListeners();
				stopEveryWorker(this.settings.gracefulTimeout().toMillis() + WorkerProcesses.TERM_MILLIS);
				return true;
			}
			case QUICK_STOP -> {
				logger.info("Shutting down: Arbiter (quick)");
				closeListeners();
				stopEveryWorker(QUICK_MILLIS);
				return true;
			}
			case SCALE_UP -> {
				this.target++;
				logger.info("Scaling from " + (this.target - 1) + " to " + Counted.of(this.target, "worker process"));
			}
			case SCALE_DOWN -> scaleDown();
			case RESTART -> restart();
		}
		return false;
	}

	private void scaleDown() {
		if (this.target <= 1) {
			logger.info("Not scaling below 1 worker process");
			return;
		}
		scaleTo(this.target - 1);
	}

	/** Sets the workers to keep running; those beyond it, youngest first, are stopped gracefully. */
	private void scaleTo(int workers) {
		logger.info("Scaling from " + this.target + " to " + Counted.of(workers, "worker process"));
		this.target = workers;
		List<WorkerProcess> youngestFirst = this.workers.serving().stream()
			.filter((worker) -> !this.replacements.isBooting(worker))
			.sorted((a, b) -> Integer.compare(b.id(), a.id()))
			.toList();
		for (int i = 0; i < youngestFirst.size() - workers; i++) {
			this.workers.retire(youngestFirst.get(i), "scaled down");
		}
	}

	/** Runs an operator's request relayed by a worker, on the arbiter's thread. */
	private void request(String request) {
		String[] words = request.trim().split(" ");
		try {
			if (words.length == 1 && words[0].equals("restart")) {
				restart();
			}
			else if (words.length == 2 && words[0].equals("scale")) {
				int workers = Integer.parseInt(words[1]);
				if (workers >= 1 && workers <= MAX_WORKERS) {
					scaleTo(workers);
				}
			}
			else if (words.length == 2 && words[0].equals("scale-by")) {
				long workers = (long) this.target + Integer.parseInt(words[1]);
				scaleTo((int) Math.max(1, Math.min(MAX_WORKERS, workers)));
			}
			else if (words.length == 2 && words[0].equals("recycle")) {
				WorkerProcess worker = this.workers.current().get(Integer.parseInt(words[1]));
				if (worker != null && worker.state() == WorkerProcess.State.READY) {
					logger.info("Recycling " + worker + ": asked for");
					this.replacements.add(worker.id(), "recycled: asked for");
				}
			}
			else {
				logger.warn("Ignoring an unknown request from a worker: " + request);
			}
		}
		catch (NumberFormatException ex) {
			logger.warn("Ignoring a malformed request from a worker: " + request);
		}
	}

	/**
	 * gunicorn's HUP: every worker replaced by one running the code on disk now; with a class
	 * data cache once that code is built.
	 */
	private void restart() {
		if (this.releases.builds()) {
			logger.info("Restart: building the jar on disk for the class data cache first");
			this.releases.build();
		}
		else {
			restartEveryWorker();
		}
	}

	private void restartEveryWorker() {
		List<Integer> ids = this.workers.serving().stream().map(WorkerProcess::id).sorted().toList();
		ids.forEach((id) -> this.replacements.add(id, "restarted"));
		logger.info("Restarting " + Counted.of(ids.size(), "worker process") + " one at a time");
	}

	/** One pass of supervision; a non-zero exit code when the arbiter must halt. */
	private int supervise() {
		long now = System.nanoTime();
		for (WorkerProcess worker : List.copyOf(this.workers.serving())) {
			if (!worker.process().isAlive()) {
				int halt = exitedUnexpectedly(worker);
				if (halt != 0) {
					return halt;
				}
			}
			else {
				checkTimeouts(worker, now);
			}
		}
		this.workers.reapOrEscalate(now);
		if (now - this.nextSampleNanos >= 0) {
			this.nextSampleNanos = now + TimeUnit.SECONDS.toNanos(1);
			this.workers.sample();
			this.releases.retain(this.workers.all().stream().map(WorkerProcess::command).toList());
			this.replacements.addRecyclingDue(this.workers.serving(), now, this.settings.recycling().maxMemory());
			sendView(now);
		}
		this.replacements.next(this.workers.current(), this::spawn, this.workers::retire);
		int serving = (int) this.workers.serving().stream().filter((w) -> !this.replacements.isBooting(w)).count();
		// One JVM boots at a time once the first ones have: booting takes seconds of CPU, which
		// the serving workers need too, and the first one ready is back sooner than with all at once.
		// One that has been booting for long (stuck, until its boot timeout) holds up no other.
		boolean booting = this.workers.serving()
			.stream()
			.anyMatch((w) -> w.state() == WorkerProcess.State.BOOTING && now - w.startedNanos() < ONE_BOOT_NANOS);
		if (serving < this.target && !booting && now - this.nextSpawnNanos >= 0) {
			spawn();
		}
		return 0;
	}

	private int exitedUnexpectedly(WorkerProcess worker) {
		boolean booted = worker.state() == WorkerProcess.State.READY;
		this.workers.exitedOnItsOwn(worker, booted ? "crashed" : "failed-boot");
		this.replacements.leftOnItsOwn(worker);
		if (this.replacements.failedIfBooting(worker, "failed to boot (" + worker.describeExit() + ")")) {
			return 0;
		}
		if (booted && System.nanoTime() - worker.startedNanos() > CRASH_LOOP_NANOS) {
			logger.error(worker + " exited unexpectedly (" + worker.describeExit() + "); replacing it");
			this.bootFailures = 0;
			return 0;
		}
		// Not booted, or crashed soon after: a crash loop in the making, so back off, then halt.
		this.bootFailures++;
		if (this.bootFailures >= MAX_BOOT_FAILURES) {
			logger.error("Shutting down: Arbiter halted because " + this.bootFailures
					+ " workers in a row failed to boot; the last, " + worker + ", ended with " + worker.describeExit()
					+ ". Its last output:\n" + String.join("\n", worker.outputTail()));
			return 1;
		}
		long backoff = Math.min(MAX_BACKOFF_MILLIS, 1000L << (this.bootFailures - 1));
		logger.error(worker + (booted ? " crashed soon after it booted (" : " failed to boot (") + worker.describeExit()
				+ "); retrying in " + backoff + " ms");
		this.nextSpawnNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
		return 0;
	}

	private void checkTimeouts(WorkerProcess worker, long now) {
		Duration timeout = this.settings.timeout();
		if (worker.state() == WorkerProcess.State.BOOTING) {
			if (now - worker.startedNanos() > this.settings.bootTimeout().toNanos()) {
				timedOut(worker, "did not boot within " + print(this.settings.bootTimeout()));
			}
			return;
		}
		if (timeout.isZero()) {
			return;
		}
		if (now - worker.lastBeatNanos() > timeout.toNanos()) {
			timedOut(worker, "no heartbeat for " + print(timeout));
		}
		else if (now - worker.progressNanos() > timeout.toNanos()) {
			timedOut(worker, "every thread busy and no request finished for " + print(timeout));
		}
	}

	/** gunicorn's WORKER TIMEOUT, with the reason and the stacks, so that it is never unexplained. */
	private void timedOut(WorkerProcess worker, String reason) {
		logger.error(worker + " timed out (" + reason + "): dumping its threads, then SIGTERM, then SIGKILL; "
				+ "replacing it");
		this.replacements.leftOnItsOwn(worker);
		// Before the thread dump: a replacement's last output must be its boot's, not the dump.
		this.replacements.failedIfBooting(worker, "timed out (" + reason + ")");
		this.workers.timedOut(worker, reason);
	}

	/** Tells every worker how the whole server is doing (see {@link ProcessView}). */
	private void sendView(long now) {
		String line = "view " + this.workers.view(now, this.target, this.spawned).format();
		this.workers.all().forEach((worker) -> worker.send(line));
	}

	private @Nullable WorkerProcess spawn() {
		int id = ++this.spawned;
		try {
			WorkerProcess worker = WorkerProcess.start(id, this.workers.freeSlot(), this.releases.current(),
					this.controlSocket, this.scoreboardPath, this.output, this.settings);
			this.workers.started(worker);
			logger.info("Booting worker " + id + " (pid " + worker.pid() + ")");
			return worker;
		}
		catch (IOException ex) {
			logger.error("Could not start worker " + id + ": " + ex.getMessage());
			this.bootFailures++;
			this.nextSpawnNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
			return null;
		}
	}

	/**
	 * Closes the arbiter's own descriptors of the listening sockets: once the stopping workers have
	 * closed theirs, the sockets are gone and a new client is refused at once, rather than queued
	 * in a backlog nobody will accept from and reset when the arbiter exits.
	 */
	private void closeListeners() {
		this.listeners.forEach(ListenSocket::close);
	}

	/**
	 * SIGTERM to every worker, and SIGKILL to those still running after {@code killAfterMillis}.
	 * A quick stop asked for meanwhile (SIGINT during a graceful stop, as an operator presses
	 * Ctrl-C a second time) cuts the wait to a quick stop's.
	 */
	private void stopEveryWorker(long killAfterMillis) {
		this.running = false;
		this.releases.cancel();
		this.workers.stopAll(killAfterMillis, this::quickerIfAsked);
	}

	/** The stop's deadline, brought forward to a quick stop's if one was asked for meanwhile. */
	private long quickerIfAsked(long deadline) {
		this.children.reapOrphansIfDue();
		for (Command command = this.commands.poll(); command != null; command = this.commands.poll()) {
			long quick = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUICK_MILLIS);
			if (command == Command.QUICK_STOP && quick - deadline < 0) {
				logger.info("Shutting down: Arbiter (quick, asked for during the graceful stop)");
				return quick;
			}
		}
		return deadline;
	}

	/** Last resort when the arbiter itself goes: no worker may outlive it. */
	private void killEveryWorker() {
		this.releases.cancel();
		this.workers.killAll();
	}

	private static String print(Duration duration) {
		long seconds = duration.getSeconds();
		return (duration.toMillis() % 1000 == 0) ? seconds + "s" : duration.toMillis() + "ms";
	}

	static void deleteQuietly(Path directory) {
		try (var paths = Files.walk(directory)) {
			paths.sorted((a, b) -> b.compareTo(a)).forEach((path) -> path.toFile().delete());
		}
		catch (IOException ex) {
			// Left in the temporary directory.
		}
	}

	enum Command {

		STOP, QUICK_STOP, RESTART, SCALE_UP, SCALE_DOWN

	}

	/** The control channel's messages, applied to the worker they come from. */
	private final class Messages implements ControlServer.Messages {

		@Override
		public boolean hello(int worker, long peerPid, Channel channel) {
			WorkerProcess process = ProcessArbiter.this.workers.find(worker);
			if (process == null || process.pid() != peerPid || !process.connected(channel)) {
				logger.warn("Refused a control connection as worker " + worker + " from pid " + peerPid);
				return false;
			}
			return true;
		}

		@Override
		public void ready(int worker) {
			WorkerProcess process = ProcessArbiter.this.workers.find(worker);
			if (process != null) {
				process.ready();
				logger.info(process + " is ready");
			}
		}

		@Override
		public void beat(int worker, Heartbeat heartbeat) {
			WorkerProcess process = ProcessArbiter.this.workers.find(worker);
			if (process != null) {
				process.beat(heartbeat);
			}
		}

		@Override
		public void request(int worker, String request) {
			if (!ProcessArbiter.this.requests.offer(() -> ProcessArbiter.this.request(request))) {
				logger.warn("Arbiter request queue is full; dropping " + request);
			}
		}

	}

}
