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

/**
 * The master of the workers, after gunicorn's arbiter: boots them all before traffic, then on
 * its own thread ({@code prefork-arbiter}) watches heartbeats, recycles workers that served their
 * quota or lived their lifetime, replaces those that timed out, scales on request, and reaps the
 * ones that finished draining. Every change to the set of workers happens on that one thread.
 */
public final class Arbiter {

	private static final Log logger = LogFactory.getLog(Arbiter.class);

	/** How often the arbiter looks at its workers when nothing wakes it earlier. */
	private static final long TICK_MILLIS = 200;

	/** Boot failures in a row after which the arbiter halts rather than respawn forever. */
	static final int MAX_CONSECUTIVE_BOOT_FAILURES = 5;

	private final ServerSettings settings;

	private final WorkerInitializer initializer;

	private final WorkerPool pool;

	private final Consumer<String> haltHandler;

	private final List<ArbiterListener> listeners;

	private final BlockingQueue<Runnable> commands = new ArrayBlockingQueue<>(1024);

	private final WorkerListener listener = new Listener();

	private final AtomicLong spawned = new AtomicLong();

	private final AtomicLong exited = new AtomicLong();

	private final AtomicLong timedOut = new AtomicLong();

	private final AtomicLong recycled = new AtomicLong();

	private final AtomicLong bootFailures = new AtomicLong();

	private final AtomicLong abandonedThreads = new AtomicLong();

	private final long startedNanos = System.nanoTime();

	private Worker[] slots = new Worker[0];

	private final List<Worker> retiring = new ArrayList<>();

	/** What readers on other threads see, replaced as a whole so that its parts always agree. */
	private volatile Published published = new Published(List.of(), 0);

	/** Requests started by workers that have exited (arbiter thread only; published with the workers). */
	private long exitedWorkersRequests;

	private volatile Worker managementLane;

	private volatile int target;

	private volatile boolean running;

	private int consecutiveBootFailures;

	private Thread thread;

	Arbiter(ServerSettings settings, WorkerInitializer initializer, WorkerPool pool, Consumer<String> haltHandler,
			List<ArbiterListener> listeners) {
		this.settings = settings;
		this.listeners = List.copyOf(listeners);
		this.initializer = initializer;
		this.pool = pool;
		this.haltHandler = haltHandler;
		this.target = settings.workers();
	}

	/** Boots every worker on the calling thread, all or nothing, then starts supervising. */
	synchronized void start() {
		Worker[] booted = new Worker[this.target];
		for (int i = 0; i < booted.length; i++) {
			try {
				booted[i] = spawn(i + 1);
			}
			catch (RuntimeException ex) {
				Arrays.stream(booted).filter((worker) -> worker != null).forEach((worker) -> worker.abort("startup failed"));
				throw ex;
			}
		}
		this.slots = booted;
		if (this.settings.hasManagementLane()) {
			this.managementLane = bootManagementLane();
		}
		publish();
		this.running = true;
		this.thread = new Thread(this::loop, "prefork-arbiter");
		this.thread.setDaemon(true);
		this.thread.start();
		logger.info("Arbiter booted " + this.target + " workers with " + this.settings.threads()
				+ " threads each (queue capacity " + this.settings.queueCapacity() + " per worker)");
	}

	/** Stops supervising and stops every worker; requests still running are answered 503. */
	synchronized void stop() {
		if (!this.running && this.thread == null) {
			return;
		}
		logger.info("Shutting down: Arbiter");
		this.running = false;
		if (this.thread != null) {
			this.thread.interrupt();
			joinQuietly(this.thread);
			this.thread = null;
		}
		List<Worker> all = new ArrayList<>(this.retiring);
		Arrays.stream(this.slots).filter((worker) -> worker != null).forEach(all::add);
		this.slots = new Worker[0];
		this.retiring.clear();
		this.pool.publish(this.slots);
		all.forEach((worker) -> {
			worker.exitingBecause(Worker.ExitReason.SHUTDOWN);
			worker.abort("server stopped").forEach((task) -> task.abort("server stopped"));
		});
		Worker lane = this.managementLane;
		if (lane != null) {
			lane.abort("server stopped").forEach((task) -> task.abort("server stopped"));
			this.managementLane = null;
			all.add(lane);
		}
		long deadline = System.nanoTime() + this.settings.gracefulTimeout().toNanos();
		for (Worker worker : all) {
			awaitTermination(worker, deadline);
		}
		publish();
	}

	/** Asks for {@code workers} workers (gunicorn's TTIN/TTOU). */
	public void scale(int workers) {
		if (workers < 1) {
			throw new IllegalArgumentException("workers must be at least 1, was " + workers);
		}
		command(() -> applyScale(workers));
	}

	/**
	 * Changes the number of workers by {@code change} (+1 is gunicorn's TTIN, -1 its TTOU), never
	 * below one. Applied to the target at the time the arbiter acts, so quick successive calls add up.
	 */
	public void scaleBy(int change) {
		command(() -> applyScale(Math.max(1, this.slots.length + change)));
	}

	/** Replaces every worker, one at a time, each draining gracefully (gunicorn's HUP). */
	public void recycleAll() {
		command(() -> Arrays.stream(this.slots.clone())
			.filter((worker) -> worker != null)
			.forEach((worker) -> recycle(worker, Worker.ExitReason.RECYCLE, "requested")));
	}

	/** Replaces one worker, draining it gracefully. */
	public void recycle(int workerId) {
		command(() -> {
			if (workerId >= 1 && workerId <= this.slots.length && this.slots[workerId - 1] != null) {
				recycle(this.slots[workerId - 1], Worker.ExitReason.RECYCLE, "requested");
			}
		});
	}

	/**
	 * The small worker that serves management requests (actuator, probes) so that they are answered
	 * even when every worker is saturated; {@code null} when there is none.
	 */
	public Worker getManagementLane() {
		return this.managementLane;
	}

	/** Requests started since the server started, by workers alive and gone (not the management lane). */
	public long getTotalRequests() {
		Published published = this.published;
		return published.exitedWorkersRequests()
				+ published.workers().stream().mapToLong(Worker::getRequests).sum();
	}

	/** Every worker the arbiter knows: active ones, then those draining or stopping. */
	public List<Worker> getWorkers() {
		return this.published.workers();
	}

	public int getTargetWorkers() {
		return this.target;
	}

	public long getSpawned() {
		return this.spawned.get();
	}

	public long getExited() {
		return this.exited.get();
	}

	public long getTimedOut() {
		return this.timedOut.get();
	}

	public long getRecycled() {
		return this.recycled.get();
	}

	public long getBootFailures() {
		return this.bootFailures.get();
	}

	/** Threads that never came back from application code and were left behind. */
	public long getAbandonedThreads() {
		long live = this.published.workers().stream().mapToLong(Worker::getAbandonedThreads).sum();
		return this.abandonedThreads.get() + live;
	}

	/** Active workers (those taking requests). */
	public List<Worker> getActiveWorkers() {
		return this.published.workers().stream().filter((worker) -> worker.getState() == Worker.State.ACTIVE).toList();
	}

	/**
	 * Share of the active workers' capacity in use: busy threads plus queued requests over threads
	 * plus queue capacity, from 0 (idle) to 1 (every thread busy, every queue full; also with no
	 * active worker at all).
	 */
	public double getSaturation() {
		long capacity = 0;
		long used = 0;
		for (Worker worker : getActiveWorkers()) {
			capacity += worker.getThreads() + worker.getQueueCapacity();
			used += worker.getBusyThreads() + worker.getQueued();
		}
		return (capacity > 0) ? Math.min(1.0, (double) used / capacity) : 1.0;
	}

	public long getUptimeNanos() {
		return System.nanoTime() - this.startedNanos;
	}

	private void command(Runnable command) {
		if (!this.commands.offer(command)) {
			logger.warn("Arbiter command queue is full; dropping a command");
		}
	}

	private void loop() {
		while (this.running) {
			try {
				Runnable command = this.commands.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
				while (command != null && this.running) {
					command.run();
					command = this.commands.poll();
				}
				if (this.running) {
					supervise();
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			catch (RuntimeException ex) {
				logger.error("Arbiter loop failed; carrying on", ex);
			}
		}
	}

	private void supervise() {
		long now = System.nanoTime();
		long timeout = this.settings.heartbeatTimeout().toNanos();
		long lifetime = (this.settings.maxWorkerLifetime() != null) ? this.settings.maxWorkerLifetime().toNanos() : 0;
		for (Worker worker : this.slots.clone()) {
			if (worker == null || !this.running) {
				continue;
			}
			if (timeout > 0 && worker.isStuck(now, timeout)) {
				replaceTimedOut(worker);
			}
			else if (worker.isRecycleDue()) {
				recycle(worker, Worker.ExitReason.MAX_REQUESTS, "served " + worker.getRequests() + " requests");
			}
			else if (lifetime > 0 && worker.ageNanos(now) > lifetime) {
				recycle(worker, Worker.ExitReason.LIFETIME, "reached its maximum lifetime");
			}
		}
		timeOutOverdueRequests(now);
		respawnEmptySlots();
		reapRetiring(now);
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
		Worker lane = this.managementLane;
		if (lane != null) {
			lane.timeOutOverdueRequests(now, timeout, graceful);
		}
	}

	private void respawnEmptySlots() {
		for (int i = 0; i < this.slots.length && this.running; i++) {
			if (this.slots[i] == null) {
				this.slots[i] = trySpawn(i + 1);
				publish();
			}
		}
	}

	private void reapRetiring(long now) {
		long graceful = this.settings.gracefulTimeout().toNanos();
		boolean changed = false;
		for (Worker worker : List.copyOf(this.retiring)) {
			if (worker.getState() == Worker.State.DRAINING && worker.nanosDraining(now) > graceful) {
				logger.warn(worker + " did not drain within the graceful timeout; aborting "
						+ worker.getInFlight() + " requests");
				worker.abort("graceful timeout elapsed").forEach((task) -> task.abort("worker stopped"));
			}
			if (worker.getState() == Worker.State.STOPPED && worker.isTerminated()) {
				this.retiring.remove(worker);
				this.exited.incrementAndGet();
				this.exitedWorkersRequests += worker.getRequests();
				this.abandonedThreads.addAndGet(worker.getAbandonedThreads());
				logger.info(worker + " exited");
				notify((listener) -> listener.workerExited(worker, worker.getExitReason()));
				changed = true;
			}
			else if (worker.getState() == Worker.State.STOPPED && worker.nanosSinceStop(now) > graceful) {
				worker.abort("graceful timeout elapsed").forEach((task) -> task.abort("worker stopped"));
				int left = worker.abandonLiveThreads();
				this.abandonedThreads.addAndGet(left);
				this.retiring.remove(worker);
				this.exited.incrementAndGet();
				this.exitedWorkersRequests += worker.getRequests();
				logger.error(worker + " exited leaving " + left + " abandoned threads");
				notify((listener) -> listener.workerExited(worker, worker.getExitReason()));
				changed = true;
			}
		}
		if (changed) {
			publish();
		}
	}

	private void replaceTimedOut(Worker worker) {
		long millis = this.settings.heartbeatTimeout().toMillis();
		String timeout = (millis % 1000 == 0) ? (millis / 1000) + "s" : millis + "ms";
		logger.error(worker + " timed out (no heartbeat for " + timeout + " with every thread busy), replacing it");
		this.timedOut.incrementAndGet();
		worker.exitingBecause(Worker.ExitReason.TIMEOUT);
		notify((listener) -> listener.workerRetiring(worker, Worker.ExitReason.TIMEOUT));
		int slot = worker.getId() - 1;
		this.slots[slot] = trySpawn(worker.getId());
		publish();
		List<RequestTask> notStarted = worker.abort("worker timed out");
		this.retiring.add(worker);
		for (RequestTask task : notStarted) {
			if (!this.pool.admit(task)) {
				task.abort("no worker could take it");
			}
		}
		publish();
	}

	private void recycle(Worker worker, Worker.ExitReason reason, String description) {
		int slot = worker.getId() - 1;
		if (slot >= this.slots.length || this.slots[slot] != worker) {
			return; // already replaced
		}
		Worker replacement = trySpawn(worker.getId());
		if (replacement == null) {
			return; // keep serving with the old one; the next attempt will try again
		}
		logger.info("Recycling worker " + worker.getId() + " (" + description + ")");
		this.slots[slot] = replacement;
		retire(worker, reason);
		this.recycled.incrementAndGet();
	}

	private void applyScale(int workers) {
		int current = this.slots.length;
		if (workers == current) {
			return;
		}
		logger.info("Scaling from " + current + " to " + workers + " workers");
		this.target = workers;
		Worker[] resized = Arrays.copyOf(this.slots, workers);
		for (int i = workers; i < current; i++) {
			if (this.slots[i] != null) {
				retire(this.slots[i], Worker.ExitReason.SCALE);
			}
		}
		this.slots = resized;
		publish();
		respawnEmptySlots();
	}

	private void retire(Worker worker, Worker.ExitReason reason) {
		worker.exitingBecause(reason);
		notify((listener) -> listener.workerRetiring(worker, reason));
		this.retiring.add(worker);
		publish();
		worker.drain();
	}

	private Worker trySpawn(int id) {
		try {
			return spawn(id);
		}
		catch (WorkerBootException ex) {
			if (this.consecutiveBootFailures >= MAX_CONSECUTIVE_BOOT_FAILURES) {
				halt("workers failed to boot " + this.consecutiveBootFailures + " times in a row: " + ex.getCause());
			}
			return null;
		}
	}

	private Worker spawn(int id) {
		long age = this.spawned.incrementAndGet();
		long maxRequests = this.settings.maxRequests();
		if (maxRequests > 0 && this.settings.maxRequestsJitter() > 0) {
			maxRequests += ThreadLocalRandom.current().nextLong(this.settings.maxRequestsJitter() + 1);
		}
		Worker worker = new Worker(id, age, this.settings.threads(), this.settings.queueCapacity(), maxRequests,
				this.listener);
		logger.info("Booting worker " + id + " (age " + age + ")");
		try {
			worker.boot(this.initializer);
			this.consecutiveBootFailures = 0;
			notify((listener) -> listener.workerBooted(worker));
			return worker;
		}
		catch (Throwable ex) {
			worker.exitingBecause(Worker.ExitReason.CRASH);
			worker.abort("boot failed");
			notify((listener) -> listener.workerBootFailed(id, ex));
			this.bootFailures.incrementAndGet();
			this.consecutiveBootFailures++;
			logger.error("Worker " + id + " failed to boot", ex);
			throw new WorkerBootException("Worker " + id + " failed to boot: " + ex, ex);
		}
	}

	private Worker bootManagementLane() {
		Worker lane = new Worker(Worker.MANAGEMENT_LANE_ID, 0, this.settings.managementThreads(),
				ServerSettings.MANAGEMENT_QUEUE_CAPACITY, 0, this.listener);
		try {
			lane.boot(WorkerInitializer.NONE);
			return lane;
		}
		catch (Exception ex) {
			lane.abort("boot failed");
			throw new WorkerBootException("Management lane failed to boot: " + ex, ex);
		}
	}

	private void halt(String reason) {
		if (!this.running) {
			return;
		}
		logger.error("Shutting down: Arbiter halted because " + reason);
		this.running = false;
		Thread halting = new Thread(() -> this.haltHandler.accept(reason), "prefork-halt");
		halting.setDaemon(true);
		halting.start();
	}

	private void publish() {
		this.pool.publish(this.slots);
		List<Worker> all = new ArrayList<>();
		Arrays.stream(this.slots).filter((worker) -> worker != null).forEach(all::add);
		all.addAll(this.retiring);
		this.published = new Published(List.copyOf(all), this.exitedWorkersRequests);
	}

	private void awaitTermination(Worker worker, long deadlineNanos) {
		try {
			long left = Math.max(0, deadlineNanos - System.nanoTime());
			if (!worker.awaitTermination(left, TimeUnit.NANOSECONDS)) {
				int abandoned = worker.abandonLiveThreads();
				this.abandonedThreads.addAndGet(abandoned);
				logger.error(worker + " left " + abandoned + " abandoned threads at shutdown");
			}
			else {
				this.abandonedThreads.addAndGet(worker.getAbandonedThreads());
			}
			this.exited.incrementAndGet();
			notify((listener) -> listener.workerExited(worker, worker.getExitReason()));
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
				logger.warn("Arbiter listener " + listener + " failed", ex);
			}
		}
	}

	private static void joinQuietly(Thread thread) {
		try {
			thread.join(TimeUnit.SECONDS.toMillis(10));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** Workers as last published, with the requests of those already gone (never counted twice). */
	private record Published(List<Worker> workers, long exitedWorkersRequests) {
	}

	/** Turns worker news into commands for the arbiter's own thread. */
	private final class Listener implements WorkerListener {

		@Override
		public void maxRequestsReached(Worker worker) {
			command(() -> recycle(worker, Worker.ExitReason.MAX_REQUESTS, "served " + worker.getRequests() + " requests"));
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
			command(() -> recycle(worker, Worker.ExitReason.ABANDONED_THREAD, "abandoned a thread"));
		}

	}

}
