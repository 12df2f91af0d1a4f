package dev.prefork.server;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.prefork.process.Counted;

/**
 * The master of the workers, after gunicorn's arbiter: boots them all before traffic, then on
 * its own thread ({@code prefork-arbiter}) watches heartbeats, recycles workers that served their
 * quota or lived their lifetime, replaces those that timed out, scales on request, and reaps the
 * ones that finished draining. Every change to the set of workers happens on that one thread;
 * replacements boot on the {@link WorkerSpawner}'s, so that supervision keeps its tick, and every
 * worker leaves through one place ({@link #exited}), as in gunicorn's {@code reap_workers}.
 */
public final class Arbiter {

	private static final Log logger = LogFactory.getLog(Arbiter.class);

	/** How often the arbiter looks at its workers when nothing wakes it earlier. */
	private static final long TICK_MILLIS = 200;

	/** How long {@code stop()} waits for the arbiter's and the spawner's threads to end. */
	private static final long JOIN_MILLIS = TimeUnit.SECONDS.toMillis(10);

	/** Boot failures in a row after which the arbiter halts rather than respawn forever. */
	static final int MAX_CONSECUTIVE_BOOT_FAILURES = 5;

	private static final Runnable WAKE_UP = () -> {
	};

	private final ServerSettings settings;

	/** Starts the log lines of a management server's arbiter, so that they are not taken for the application's. */
	private final String logLabel;

	private final WorkerInitializer initializer;

	private final WorkerPool pool;

	private final Consumer<String> haltHandler;

	private final List<ArbiterListener> listeners;

	private final BlockingQueue<Runnable> commands = new ArrayBlockingQueue<>(1024);

	private final WorkerListener listener = new Listener();

	/** Boots replacements; a new one for every start, as a stopped one boots nothing more. */
	private WorkerSpawner spawner;

	private final ArbiterCounters counters = new ArbiterCounters();

	private final long startedNanos = System.nanoTime();

	/** Workers taking traffic, by slot (arbiter thread only). */
	private Worker[] slots = new Worker[0];

	/** The boot under way for each slot, if any (arbiter thread only). */
	private @Nullable Spawn[] spawning = new Spawn[0];

	private final List<Worker> retiring = new ArrayList<>();

	/** The management lane now serving (arbiter thread only; published). */
	private @Nullable Worker lane;

	/** What readers on other threads see, replaced as a whole so that its parts always agree. */
	private volatile Published published = new Published(List.of(), null, List.of(), 0);

	/** Requests started by workers that have exited (arbiter thread only; published with the workers). */
	private long exitedWorkersRequests;

	private volatile int target;

	private volatile boolean running;

	private int consecutiveBootFailures;

	private @Nullable Thread thread;

	Arbiter(ServerSettings settings, WorkerInitializer initializer, WorkerPool pool, Consumer<String> haltHandler,
			List<ArbiterListener> listeners) {
		this.settings = settings;
		this.listeners = List.copyOf(listeners);
		this.initializer = initializer;
		this.pool = pool;
		this.haltHandler = haltHandler;
		this.target = settings.workers();
		this.logLabel = settings.managementServer() ? "Management server: " : "";
		this.spawner = newSpawner();
	}

	/** Boots every worker on the calling thread, all or nothing, then starts supervising. */
	synchronized void start() {
		Worker[] booted = new Worker[this.target];
		Worker lane = null;
		try {
			for (int i = 0; i < booted.length; i++) {
				booted[i] = boot(i + 1);
				booted[i].activate();
				Worker worker = booted[i];
				notify((listener) -> listener.workerBooted(worker));
			}
			if (this.settings.hasManagementLane()) {
				lane = bootManagementLane();
			}
		}
		catch (RuntimeException ex) {
			Arrays.stream(booted).filter((worker) -> worker != null).forEach((worker) -> worker.abort("startup failed"));
			throw ex;
		}
		this.slots = booted;
		this.spawning = new Spawn[booted.length];
		this.lane = lane;
		this.spawner = newSpawner();
		this.running = true;
		publish();
		Thread arbiter = new Thread(this::loop, this.settings.threadNamePrefix() + "arbiter");
		arbiter.setDaemon(true);
		this.thread = arbiter;
		arbiter.start();
		logger.info(this.logLabel + "Arbiter booted " + Counted.of(this.target, "worker") + " with "
				+ Counted.of(this.settings.threads(), "thread") + " each (queue capacity " + this.settings.queueCapacity()
				+ " per worker)");
	}

	/** Stops supervising and stops every worker; requests still running are answered 503. */
	synchronized void stop() {
		Thread arbiter = this.thread;
		if (arbiter == null) {
			return;
		}
		logger.info(this.logLabel + "Shutting down: Arbiter");
		this.running = false;
		long spawnerWait = Math.min(JOIN_MILLIS, this.settings.gracefulTimeout().toMillis());
		List<Worker> all = new ArrayList<>(this.spawner.close(spawnerWait));
		arbiter.interrupt();
		joinQuietly(arbiter);
		this.thread = null;
		Arrays.stream(this.slots).filter((worker) -> worker != null).forEach(all::add);
		all.addAll(this.retiring);
		if (this.lane != null) {
			all.add(this.lane);
			this.lane = null;
		}
		this.slots = new Worker[0];
		this.spawning = new Spawn[0];
		this.pool.publish(this.slots);
		for (Worker worker : all) {
			worker.exitingBecause(Worker.ExitReason.SHUTDOWN);
			worker.abort("server stopped").forEach((task) -> task.abort("server stopped"));
		}
		long deadline = System.nanoTime() + this.settings.gracefulTimeout().toNanos();
		for (Worker worker : all) {
			awaitTermination(worker, deadline);
			exited(worker);
		}
		this.retiring.clear();
		publish();
	}

	/** Asks for {@code workers} workers, 1 to {@value ServerSettings#MAX_WORKERS}. */
	public void scale(int workers) {
		SettingRange.count("workers", workers, 1, ServerSettings.MAX_WORKERS);
		command(() -> applyScale(workers));
	}

	/**
	 * Changes the number of workers by {@code change} (+1 is gunicorn's TTIN, -1 its TTOU), never
	 * below one nor above {@value ServerSettings#MAX_WORKERS}. Applied to the number of workers at
	 * the time the arbiter acts, so quick successive calls add up.
	 */
	public void scaleBy(int change) {
		command(() -> applyScale(clampWorkers((long) this.slots.length + change)));
	}

	private WorkerSpawner newSpawner() {
		return new WorkerSpawner(this.settings.threadNamePrefix() + "spawner", () -> this.commands.offer(WAKE_UP));
	}

	private static int clampWorkers(long workers) {
		return (int) Math.max(1, Math.min(ServerSettings.MAX_WORKERS, workers));
	}

	/** Replaces every worker, one at a time, each draining gracefully (gunicorn's HUP). */
	public void recycleAll() {
		command(() -> {
			for (Worker worker : this.slots) {
				if (worker != null) {
					replace(worker, Worker.ExitReason.RECYCLE, "requested");
				}
			}
		});
	}

	/** Replaces one worker, draining it gracefully. */
	public void recycle(int workerId) {
		command(() -> {
			if (workerId >= 1 && workerId <= this.slots.length && this.slots[workerId - 1] != null) {
				replace(this.slots[workerId - 1], Worker.ExitReason.RECYCLE, "requested");
			}
		});
	}

	/**
	 * The small worker that serves management requests (actuator, probes) so that they are answered
	 * even when every worker is saturated; {@code null} when there is none.
	 */
	public @Nullable Worker getManagementLane() {
		return this.published.managementLane();
	}

	/** Requests started since the server started, by workers alive and gone (not the management lane). */
	public long getTotalRequests() {
		Published published = this.published;
		return published.exitedWorkersRequests()
				+ published.workers().stream().mapToLong(Worker::getRequests).sum();
	}

	/**
	 * Requests in flight on every worker the arbiter knows, draining ones and the management lane
	 * included: what graceful shutdown waits for.
	 */
	public int getInFlight() {
		Published published = this.published;
		Worker lane = published.managementLane();
		return published.workers().stream().mapToInt(Worker::getInFlight).sum()
				+ published.retiringLanes().stream().mapToInt(Worker::getInFlight).sum()
				+ ((lane != null) ? lane.getInFlight() : 0);
	}

	/** Closes every open WebSocket session with 1001 Going Away (the server is shutting down). */
	void closeWebSockets() {
		Published published = this.published;
		published.workers().forEach(Worker::closeWebSockets);
		if (published.managementLane() != null) {
			published.managementLane().closeWebSockets();
		}
	}

	/** Every worker the arbiter knows: active ones, then those draining or stopping. */
	public List<Worker> getWorkers() {
		return this.published.workers();
	}

	public int getTargetWorkers() {
		return this.target;
	}

	public long getSpawned() {
		return this.counters.spawned.get();
	}

	public long getExited() {
		return this.counters.exited.get();
	}

	public long getTimedOut() {
		return this.counters.timedOut.get();
	}

	public long getRecycled() {
		return this.counters.recycled.get();
	}

	public long getBootFailures() {
		return this.counters.bootFailures.get();
	}

	/** Threads that never came back from application code and were left behind. */
	public long getAbandonedThreads() {
		long live = this.published.workers().stream().mapToLong(Worker::getAbandonedThreads).sum();
		return this.counters.abandonedThreads.get() + live;
	}

	/** Active workers (those taking requests). */
	public List<Worker> getActiveWorkers() {
		return this.published.workers().stream().filter((worker) -> worker.getState() == Worker.State.ACTIVE).toList();
	}

	/**
	 * Share of the active workers' capacity in use, from 0 (idle) to 1 (full; also with no active
	 * worker at all): busy threads plus queued requests over threads plus queue capacity, or the
	 * requests awaiting their answer over {@code max-in-flight}, whichever is higher.
	 */
	public double getSaturation() {
		long capacity = 0;
		long used = 0;
		long maxInFlight = 0;
		long unanswered = 0;
		for (Worker worker : getActiveWorkers()) {
			capacity += worker.getThreads() + worker.getQueueCapacity();
			used += worker.getBusyThreads() + worker.getQueued();
			maxInFlight += worker.getMaxInFlight();
			unanswered += worker.getUnanswered();
		}
		if (capacity == 0) {
			return 1.0;
		}
		// Reactive requests hold no thread while they wait on something else; they count here.
		return Math.min(1.0, Math.max((double) used / capacity, (double) unanswered / maxInFlight));
	}

	public long getUptimeNanos() {
		return System.nanoTime() - this.startedNanos;
	}

	private void command(Runnable command) {
		if (!this.commands.offer(command)) {
			logger.warn(this.logLabel + "Arbiter command queue is full; dropping a command");
		}
	}

	private void loop() {
		while (this.running) {
			try {
				Runnable command = this.commands.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
				while (command != null && this.running) {
					runSafely(command);
					command = this.commands.poll();
				}
				runSafely(this::installBooted);
				if (this.running) {
					runSafely(this::supervise);
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	/** One failing command or check must not skip the others, nor the tick's supervision. */
	private void runSafely(Runnable action) {
		try {
			action.run();
		}
		catch (RuntimeException ex) {
			logger.error(this.logLabel + "Arbiter action failed; carrying on", ex);
		}
	}

	private void supervise() {
		long now = System.nanoTime();
		long heartbeat = this.settings.heartbeatTimeout().toNanos();
		long lifetime = (this.settings.maxWorkerLifetime() != null) ? this.settings.maxWorkerLifetime().toNanos() : 0;
		for (Worker worker : this.slots.clone()) {
			if (worker == null) {
				continue;
			}
			if (heartbeat > 0 && worker.isStuck(now, heartbeat)) {
				replaceTimedOut(worker);
			}
			else if (worker.isRecycleDue()) {
				replace(worker, Worker.ExitReason.MAX_REQUESTS, "served " + worker.getRequests() + " requests");
			}
			else if (lifetime > 0 && worker.ageNanos(now) > lifetime) {
				replace(worker, Worker.ExitReason.LIFETIME, "reached its maximum lifetime");
			}
		}
		Worker lane = this.lane;
		if (lane != null && heartbeat > 0 && lane.isStuck(now, heartbeat)) {
			replaceManagementLane(lane, Worker.ExitReason.TIMEOUT);
		}
		timeOutOverdueRequests(now);
		closeIdleStreams(now);
		releaseParkedCommits(now);
		respawnEmptySlots();
		reapRetiring(now);
	}

	/**
	 * HTTP/2 answers whose worker thread waits in the request's code, perhaps for the answer
	 * itself, go out from the event loop (EventLoopCommit): those whose thread reached the send half
	 * a tick ago or more and is parked now, which a thread passing through a lock in the middle of
	 * Reactor's chain hardly is.
	 */
	private void releaseParkedCommits(long now) {
		long parkedFor = TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS) / 2;
		for (Worker worker : this.published.workers()) {
			worker.releaseParkedCommits(now, parkedFor);
		}
		Worker lane = this.lane;
		if (lane != null) {
			lane.releaseParkedCommits(now, parkedFor);
		}
	}

	private void closeIdleStreams(long now) {
		long idle = this.settings.streamIdleTimeout().toNanos();
		if (idle > 0) {
			for (Worker worker : this.published.workers()) {
				worker.closeIdleStreams(now, idle);
			}
		}
	}

	private void timeOutOverdueRequests(long now) {
		if (this.settings.requestTimeout() == null) {
			return;
		}
		long timeout = this.settings.requestTimeout().toNanos();
		long graceful = this.settings.gracefulTimeout().toNanos();
		for (Worker worker : this.published.workers()) {
			worker.timeOutOverdueRequests(now, timeout, graceful);
		}
		for (Worker lane : this.published.retiringLanes()) {
			lane.timeOutOverdueRequests(now, timeout, graceful);
		}
		Worker lane = this.lane;
		if (lane != null) {
			lane.timeOutOverdueRequests(now, timeout, graceful);
		}
	}

	/** Asks the spawner to fill every empty slot that no boot is under way for. */
	private void respawnEmptySlots() {
		for (int i = 0; i < this.slots.length && this.running; i++) {
			if (this.slots[i] == null && this.spawning[i] == null) {
				spawn(i, null, "");
			}
		}
	}

	/**
	 * Lets draining workers go. A worker whose requests are all streams (answers that have
	 * started, holding no thread) lets its threads end at once, and its streams carry on: recycling
	 * never cuts them. What still needs a thread after the graceful timeout is aborted; a worker
	 * leaves when its threads are gone (or abandoned) and its last stream has finished.
	 */
	private void reapRetiring(long now) {
		long graceful = this.settings.gracefulTimeout().toNanos();
		for (Worker worker : List.copyOf(this.retiring)) {
			if (worker.getState() == Worker.State.DRAINING) {
				if (worker.hasOnlyStreamsLeft()) {
					logger.info(this.logLabel + worker + " drained; its " + worker.getStreaming() + " streams carry on");
					worker.shutdown();
				}
				else if (worker.nanosDraining(now) > graceful) {
					logger.warn(this.logLabel + worker + " did not drain within the graceful timeout; aborting "
							+ (worker.getInFlight() - worker.getStreaming()) + " requests");
					worker.abortAllButStreams("graceful timeout elapsed")
						.forEach((task) -> task.abort("worker stopped"));
				}
			}
			if (worker.getState() != Worker.State.STOPPED) {
				continue;
			}
			if (!worker.isTerminated() && worker.nanosSinceStop(now) > graceful
					&& worker.getAbandonedThreads() == 0) {
				worker.abortAllButStreams("graceful timeout elapsed").forEach((task) -> task.abort("worker stopped"));
				worker.abandonLiveThreads();
			}
			boolean threadsGone = worker.isTerminated() || worker.getAbandonedThreads() > 0;
			if (threadsGone && worker.getInFlight() == 0) {
				exited(worker);
			}
		}
	}

	/** The one place where a worker's exit is accounted for, whatever the way it left. */
	private void exited(Worker worker) {
		if (!worker.markExited()) {
			return;
		}
		this.retiring.remove(worker);
		int abandoned = worker.getAbandonedThreads();
		this.counters.abandonedThreads.addAndGet(abandoned);
		if (abandoned > 0) {
			logger.error(this.logLabel + worker + " exited leaving " + abandoned + " abandoned threads");
		}
		else {
			logger.info(this.logLabel + worker + " exited");
		}
		if (!worker.isManagementLane()) {
			this.counters.exited.incrementAndGet();
			this.exitedWorkersRequests += worker.getRequests();
			Worker.ExitReason reason = worker.getExitReason();
			notify((listener) -> listener.workerExited(worker, reason));
		}
		publish();
	}

	private void replaceTimedOut(Worker worker) {
		long millis = this.settings.heartbeatTimeout().toMillis();
		String timeout = (millis % 1000 == 0) ? (millis / 1000) + "s" : millis + "ms";
		logger.error(this.logLabel + worker + " timed out (no heartbeat for " + timeout + " with every thread busy), replacing it");
		this.counters.timedOut.incrementAndGet();
		worker.exitingBecause(Worker.ExitReason.TIMEOUT);
		notify((listener) -> listener.workerRetiring(worker, Worker.ExitReason.TIMEOUT));
		int slot = worker.getId() - 1;
		// Out of the pool before it is aborted, and its queue to the other workers before a
		// replacement boots: a slow boot must not keep those requests waiting.
		this.slots[slot] = null;
		this.retiring.add(worker);
		publish();
		handOver(worker.abort("worker timed out"), null);
		if (this.spawning[slot] != null) {
			this.spawning[slot] = new Spawn(null, ""); // the boot under way now fills the empty slot
		}
		else {
			spawn(slot, null, "");
		}
	}

	/** Gives requests that never started to another worker, or answers them 503 (retry later). */
	private void handOver(List<RequestTask> tasks, @Nullable Worker lane) {
		for (RequestTask task : tasks) {
			if (task.isEnded()) {
				continue;
			}
			boolean admitted = (lane != null) ? lane.tryAdmit(task) : this.pool.admit(task);
			if (!admitted) {
				task.reject();
			}
		}
	}

	/** Asks for a replacement of the worker; it is retired once the replacement has booted. */
	private void replace(Worker worker, Worker.ExitReason reason, String description) {
		int slot = worker.getId() - 1;
		if (slot < 0 || slot >= this.slots.length || this.slots[slot] != worker || this.spawning[slot] != null) {
			return; // already being replaced, or gone
		}
		spawn(slot, reason, description);
	}

	private void spawn(int slot, Worker.@Nullable ExitReason reason, String description) {
		this.spawning[slot] = new Spawn(reason, description);
		// Scaled down meanwhile: a boot queued for a slot that went away is skipped.
		this.spawner.spawn(slot + 1, () -> (slot < this.target) ? boot(slot + 1) : null);
	}

	/** Puts the workers the spawner booted into their slots, retiring those they replace. */
	private void installBooted() {
		WorkerSpawner.Result result;
		while ((result = this.spawner.takeResult()) != null) {
			int slot = result.slot() - 1;
			Spawn spawn = (slot < this.spawning.length) ? this.spawning[slot] : null;
			Worker worker = result.worker();
			if (worker == null) {
				bootFailed(slot, spawn, result.failure());
			}
			else if (spawn == null || !this.running || !worker.activate()) {
				// Its slot went away (scaled down) or got a worker meanwhile: this one is not needed.
				worker.exitingBecause(Worker.ExitReason.SCALE);
				worker.abort("not needed");
				this.retiring.add(worker);
			}
			else {
				install(slot, worker, spawn);
			}
		}
	}

	private void install(int slot, Worker worker, Spawn spawn) {
		this.spawning[slot] = null;
		this.consecutiveBootFailures = 0;
		Worker replaced = this.slots[slot];
		this.slots[slot] = worker;
		notify((listener) -> listener.workerBooted(worker));
		if (replaced != null) {
			Worker.ExitReason reason = (spawn.reason() != null) ? spawn.reason() : Worker.ExitReason.RECYCLE;
			logger.info(this.logLabel + "Recycling worker " + replaced.getId() + " (" + spawn.description() + ")");
			retire(replaced, reason);
			this.counters.recycled.incrementAndGet();
		}
		publish();
	}

	private void bootFailed(int slot, @Nullable Spawn spawn, @Nullable WorkerBootException failure) {
		if (spawn != null) {
			this.spawning[slot] = null;
		}
		this.counters.bootFailures.incrementAndGet();
		this.consecutiveBootFailures++;
		Throwable cause = (failure != null && failure.getCause() != null) ? failure.getCause() : failure;
		notify((listener) -> listener.workerBootFailed(slot + 1, cause));
		if (this.consecutiveBootFailures >= MAX_CONSECUTIVE_BOOT_FAILURES) {
			halt("workers failed to boot " + this.consecutiveBootFailures + " times in a row: " + cause);
		}
	}

	private void applyScale(int workers) {
		int current = this.slots.length;
		if (workers == current) {
			return;
		}
		logger.info(this.logLabel + "Scaling from " + current + " to " + Counted.of(workers, "worker"));
		this.target = workers;
		Worker[] removed = (workers < current) ? Arrays.copyOfRange(this.slots, workers, current) : new Worker[0];
		this.slots = Arrays.copyOf(this.slots, workers);
		this.spawning = Arrays.copyOf(this.spawning, workers);
		publish();
		for (Worker worker : removed) {
			if (worker != null) {
				retire(worker, Worker.ExitReason.SCALE);
			}
		}
		respawnEmptySlots();
	}

	/** Takes the worker out of the pool, then lets it finish what it has. */
	private void retire(Worker worker, Worker.ExitReason reason) {
		worker.exitingBecause(reason);
		notify((listener) -> listener.workerRetiring(worker, reason));
		this.retiring.add(worker);
		// Published first: a request must never find only workers that have begun to drain.
		publish();
		worker.drain();
	}

	/** Creates and boots the worker for a slot, on the calling thread (the spawner's, or start's). */
	private Worker boot(int id) {
		long age = this.counters.spawned.incrementAndGet();
		long maxRequests = this.settings.maxRequests();
		if (maxRequests > 0 && this.settings.maxRequestsJitter() > 0) {
			maxRequests += ThreadLocalRandom.current().nextLong(this.settings.maxRequestsJitter() + 1);
		}
		Worker worker = new Worker(this.settings.threadNamePrefix() + "w" + id + "-t", id, age, this.settings.threads(), this.settings.virtualThreads(),
				this.settings.queueCapacity(), this.settings.maxInFlight(), maxRequests, this.listener);
		logger.info(this.logLabel + "Booting worker " + id + " (age " + age + ")");
		try {
			worker.boot(this.initializer);
			return worker;
		}
		catch (Throwable ex) {
			worker.exitingBecause(Worker.ExitReason.CRASH);
			worker.abort("boot failed");
			if (this.thread != null && !this.running) {
				// The server is stopping and interrupted this boot: not a crash.
				logger.debug(this.logLabel + "Boot of worker " + id + " stopped with the server: " + ex);
			}
			else {
				logger.error(this.logLabel + "Worker " + id + " failed to boot", ex);
			}
			throw new WorkerBootException("Worker " + id + " failed to boot: " + ex, ex);
		}
	}

	private Worker bootManagementLane() {
		// Platform threads whatever the workers use: the lane must answer probes even when every
		// carrier thread is pinned by application code.
		Worker lane = new Worker("prefork-management-t", Worker.MANAGEMENT_LANE_ID, 0, this.settings.managementThreads(), false,
				ServerSettings.MANAGEMENT_QUEUE_CAPACITY,
				this.settings.managementThreads() + ServerSettings.MANAGEMENT_QUEUE_CAPACITY, 0, this.listener);
		try {
			lane.boot(WorkerInitializer.NONE);
			lane.activate();
			return lane;
		}
		catch (Exception ex) {
			lane.abort("boot failed");
			throw new WorkerBootException("Management lane failed to boot: " + ex, ex);
		}
	}

	/**
	 * Replaces the management lane: when it is stuck, at once (its queue moves to the new lane);
	 * when it abandoned a thread, gracefully.
	 */
	private void replaceManagementLane(Worker lane, Worker.ExitReason reason) {
		if (this.lane != lane) {
			return;
		}
		Worker fresh;
		try {
			fresh = bootManagementLane();
		}
		catch (WorkerBootException ex) {
			logger.error(this.logLabel + "Could not replace the management lane; keeping the old one", ex);
			return;
		}
		logger.warn(this.logLabel + "Replacing the management lane (" + reason.tag() + ")");
		lane.exitingBecause(reason);
		this.retiring.add(lane);
		this.lane = fresh;
		publish();
		if (reason == Worker.ExitReason.TIMEOUT) {
			handOver(lane.abort("management lane timed out"), fresh);
		}
		else {
			lane.drain();
		}
	}

	private void halt(String reason) {
		if (!this.running) {
			return;
		}
		logger.error(this.logLabel + "Shutting down: Arbiter halted because " + reason);
		this.running = false;
		Thread halting = new Thread(() -> this.haltHandler.accept(reason), this.settings.threadNamePrefix() + "halt");
		halting.setDaemon(true);
		halting.start();
	}

	private void publish() {
		this.pool.publish(this.slots);
		List<Worker> all = new ArrayList<>();
		Arrays.stream(this.slots).filter((worker) -> worker != null).forEach(all::add);
		this.retiring.stream().filter((worker) -> !worker.isManagementLane()).forEach(all::add);
		List<Worker> lanes = this.retiring.stream().filter(Worker::isManagementLane).toList();
		this.published = new Published(List.copyOf(all), this.lane, lanes, this.exitedWorkersRequests);
	}

	private void awaitTermination(Worker worker, long deadlineNanos) {
		try {
			long left = Math.max(0, deadlineNanos - System.nanoTime());
			if (!worker.awaitTermination(left, TimeUnit.NANOSECONDS)) {
				worker.abandonLiveThreads();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private void notify(Consumer<ArbiterListener> event) {
		for (ArbiterListener listener : this.listeners) {
			try {
				event.accept(listener);
			}
			catch (RuntimeException ex) {
				logger.warn(this.logLabel + "Arbiter listener " + listener + " failed", ex);
			}
		}
	}

	private static void joinQuietly(Thread thread) {
		try {
			thread.join(JOIN_MILLIS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** A boot asked for a slot, and what to do with the worker it replaces. */
	private record Spawn(Worker.@Nullable ExitReason reason, String description) {
	}

	/**
	 * Workers as last published, with the requests of those already gone (never counted twice),
	 * and the management lanes: the current one and any still draining.
	 */
	private record Published(List<Worker> workers, @Nullable Worker managementLane, List<Worker> retiringLanes,
			long exitedWorkersRequests) {
	}

	/** The arbiter's lifetime counters. */
	private static final class ArbiterCounters {

		final AtomicLong spawned = new AtomicLong();

		final AtomicLong exited = new AtomicLong();

		final AtomicLong timedOut = new AtomicLong();

		final AtomicLong recycled = new AtomicLong();

		final AtomicLong bootFailures = new AtomicLong();

		final AtomicLong abandonedThreads = new AtomicLong();

	}

	/** Turns worker news into commands for the arbiter's own thread. */
	private final class Listener implements WorkerListener {

		@Override
		public void maxRequestsReached(Worker worker) {
			command(() -> replace(worker, Worker.ExitReason.MAX_REQUESTS,
					"served " + worker.getRequests() + " requests"));
		}

		@Override
		public void drained(Worker worker) {
			command(() -> {
				if (worker.getState() == Worker.State.DRAINING) {
					worker.shutdown();
				}
			});
		}

		@Override
		public void threadAbandoned(Worker worker) {
			command(() -> {
				if (worker.isManagementLane()) {
					replaceManagementLane(worker, Worker.ExitReason.ABANDONED_THREAD);
				}
				else {
					replace(worker, Worker.ExitReason.ABANDONED_THREAD, "abandoned a thread");
				}
			});
		}

		@Override
		public boolean adopt(Runnable continuation) {
			return Arbiter.this.pool.adopt(continuation);
		}

	}

}
