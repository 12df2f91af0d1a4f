package dev.prefork.server;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One worker: a fixed pool of named threads in front of a bounded queue, plus the counters the
 * arbiter needs to supervise it. A worker never changes size; the arbiter replaces it instead, which
 * is how the JVM gets the fresh-process benefits of gunicorn's recycling (no ThreadLocal leaks).
 */
public final class Worker {

	/** Lifecycle of a worker, as the arbiter sees it. */
	public enum State {

		/** Threads are starting and the worker initializer is running. */
		BOOTING,

		/** Taking new requests. */
		ACTIVE,

		/** No new requests; finishing those it has. */
		DRAINING,

		/** Its threads have been told to stop. */
		STOPPED

	}

	/** Why a worker left; also the {@code reason} tag of restart meters. */
	public enum ExitReason {

		/** Its threads were all stuck for longer than the heartbeat timeout. */
		TIMEOUT("timeout"),

		/** It served its quota of requests. */
		MAX_REQUESTS("max-requests"),

		/** It reached its maximum lifetime. */
		LIFETIME("lifetime"),

		/** The number of workers was lowered. */
		SCALE("scale"),

		/** An operator asked for it to be recycled. */
		RECYCLE("recycle"),

		/** One of its threads never came back from a timed-out request. */
		ABANDONED_THREAD("abandoned-thread"),

		/** It failed to boot. */
		CRASH("crash"),

		/** The server stopped. */
		SHUTDOWN("shutdown");

		private final String tag;

		ExitReason(String tag) {
			this.tag = tag;
		}

		/** The reason in the form used in logs, JSON and meter tags. */
		public String tag() {
			return this.tag;
		}

	}

	/** How a request that a worker took ended. */
	public enum Outcome {

		/** Answered with a status below 400. */
		SUCCESS,

		/** Answered with a 4xx status. */
		CLIENT_ERROR,

		/** Answered with a 5xx status by the application, or failed with an exception. */
		SERVER_ERROR,

		/** Ran past the request timeout and was answered 503. */
		TIMEOUT,

		/** Answered 503 because its worker was aborted (heartbeat timeout or shutdown). */
		ABORTED,

		/** Dropped because the client went away first. */
		CLIENT_GONE

	}

	/**
	 * Room in the executor's queue beyond {@code queueCapacity}, for the continuations of requests
	 * already admitted (request-body chunks published onto the worker). Admission is bounded by
	 * {@code queueCapacity}; this only keeps the executor queue itself bounded too.
	 */
	private static final int CONTINUATION_HEADROOM = 1024;

	private static final ThreadLocal<Worker> CURRENT = new ThreadLocal<>();

	/** Id of the small worker that serves management requests apart from the others. */
	static final int MANAGEMENT_LANE_ID = 0;

	private final int id;

	private final long age;

	private final int threads;

	private final int queueCapacity;

	private final long maxRequests;

	private final Instant startedAt = Instant.now();

	private final long startedNanos = System.nanoTime();

	private final WorkerListener listener;

	private final WorkerHeartbeat heartbeat = new WorkerHeartbeat();

	private final WorkerExecutor executor;

	private final AtomicInteger waiting = new AtomicInteger();

	private final AtomicInteger busy = new AtomicInteger();

	private final Set<RequestTask> inFlight = ConcurrentHashMap.newKeySet();

	private final LongAdder served = new LongAdder();

	private final LongAdder[] outcomes = new LongAdder[Outcome.values().length];

	private final LongAdder requestTimeouts = new LongAdder();

	private final LongAdder exceptions = new LongAdder();

	private final Set<Thread> abandonedThreads = ConcurrentHashMap.newKeySet();

	private final AtomicBoolean recycleRequested = new AtomicBoolean();

	private volatile State state = State.BOOTING;

	private volatile ExitReason exitReason;

	private volatile RecentExceptions.Entry lastException;

	private volatile long stoppedNanos;

	private volatile long drainingSinceNanos;

	Worker(int id, long age, int threads, int queueCapacity, long maxRequests, WorkerListener listener) {
		this.id = id;
		this.age = age;
		this.threads = threads;
		this.queueCapacity = queueCapacity;
		this.maxRequests = maxRequests;
		this.listener = listener;
		this.executor = new WorkerExecutor(this, new LinkedBlockingQueue<>(queueCapacity + threads + CONTINUATION_HEADROOM));
		for (int i = 0; i < this.outcomes.length; i++) {
			this.outcomes[i] = new LongAdder();
		}
	}

	/** The worker whose thread is calling, or {@code null} on any other thread. */
	static Worker current() {
		return CURRENT.get();
	}

	void boot(WorkerInitializer initializer) throws Exception {
		this.executor.prestartAllCoreThreads();
		initializer.initialize(this.id);
		this.heartbeat.beat();
		this.state = State.ACTIVE;
	}

	/**
	 * Takes a request if a thread is idle or the queue has room.
	 * @return {@code false} when the worker is full or no longer active
	 */
	boolean tryAdmit(RequestTask task) {
		if (this.state != State.ACTIVE) {
			return false;
		}
		int limit = this.queueCapacity + Math.max(0, this.threads - this.busy.get());
		int current;
		do {
			current = this.waiting.get();
			if (current >= limit) {
				return false;
			}
		}
		while (!this.waiting.compareAndSet(current, current + 1));
		this.inFlight.add(task);
		task.assignTo(this);
		try {
			this.executor.execute(task);
			return true;
		}
		catch (RejectedExecutionException ex) {
			this.waiting.decrementAndGet();
			this.inFlight.remove(task);
			return false;
		}
	}

	/** Runs a continuation of an admitted request (never refused for lack of queue room). */
	void execute(Runnable continuation) {
		this.executor.execute(continuation);
	}

	/** How busy the worker is: threads at work plus requests waiting for one. */
	int load() {
		return this.busy.get() + this.waiting.get();
	}

	/** Whether the worker served its quota and waits to be recycled. */
	boolean isRecycleDue() {
		return this.recycleRequested.get();
	}

	void requestDequeued() {
		this.waiting.decrementAndGet();
	}

	void requestStarted() {
		this.served.increment();
		if (this.maxRequests > 0 && this.served.sum() >= this.maxRequests
				&& this.recycleRequested.compareAndSet(false, true)) {
			this.listener.maxRequestsReached(this);
		}
	}

	void requestEnded(RequestTask task) {
		this.inFlight.remove(task);
		if (this.state == State.DRAINING && this.inFlight.isEmpty()) {
			this.listener.drained(this);
		}
	}

	void requestTimedOut() {
		this.requestTimeouts.increment();
	}

	void requestEndedAs(Outcome outcome) {
		this.outcomes[outcome.ordinal()].increment();
	}

	void exceptionRaised(RecentExceptions.Entry entry) {
		this.exceptions.increment();
		this.lastException = entry;
	}

	/** Records why the worker is leaving; the first reason given wins. */
	void exitingBecause(ExitReason reason) {
		if (this.exitReason == null) {
			this.exitReason = reason;
		}
	}

	void threadAbandoned(Thread thread) {
		if (this.abandonedThreads.add(thread)) {
			this.listener.threadAbandoned(this);
		}
	}

	/** Stops taking new requests; those in flight carry on. */
	void drain() {
		this.drainingSinceNanos = System.nanoTime();
		this.state = State.DRAINING;
		if (this.inFlight.isEmpty()) {
			this.listener.drained(this);
		}
	}

	/** Lets the threads finish what is queued, then end. */
	void shutdown() {
		markStopped();
		this.executor.shutdown();
	}

	/**
	 * Interrupts every thread and hands back the requests that had not started, so that the
	 * caller can give them to another worker; requests that had started are answered 503.
	 */
	List<RequestTask> abort(String reason) {
		markStopped();
		// End the running requests as aborted before any thread is interrupted: a handler that
		// returns from the interrupt at once must find its request already answered 503, rather
		// than answer it 500 itself.
		List<Runnable> queued = new ArrayList<>();
		this.executor.getQueue().drainTo(queued);
		List<RequestTask> notStarted = new ArrayList<>();
		for (Runnable runnable : queued) {
			if (runnable instanceof RequestTask task) {
				this.waiting.decrementAndGet();
				this.inFlight.remove(task);
				notStarted.add(task);
			}
		}
		for (RequestTask task : List.copyOf(this.inFlight)) {
			task.abort(reason);
		}
		this.executor.shutdownNow();
		return notStarted;
	}

	private void markStopped() {
		if (this.state != State.STOPPED) {
			this.stoppedNanos = System.nanoTime();
			this.state = State.STOPPED;
		}
	}

	boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
		return this.executor.awaitTermination(timeout, unit);
	}

	boolean isTerminated() {
		return this.executor.isTerminated();
	}

	/** Threads of this worker still alive after it stopped: they are stuck in application code. */
	int abandonLiveThreads() {
		for (Thread thread : this.executor.threads()) {
			if (thread.isAlive()) {
				this.abandonedThreads.add(thread);
			}
		}
		return this.abandonedThreads.size();
	}

	/** Times out the requests this worker has had for longer than {@code timeoutNanos}. */
	void timeOutOverdueRequests(long nowNanos, long timeoutNanos, long gracefulNanos) {
		for (RequestTask task : this.inFlight) {
			if (task.isOverdue(nowNanos, timeoutNanos)) {
				task.timeOut(gracefulNanos);
			}
		}
	}

	/** Whether every thread is busy and none has made progress for {@code timeoutNanos}. */
	boolean isStuck(long nowNanos, long timeoutNanos) {
		return this.state == State.ACTIVE && this.busy.get() >= this.threads
				&& this.heartbeat.nanosSinceLastBeat(nowNanos) > timeoutNanos;
	}

	long nanosDraining(long nowNanos) {
		return nowNanos - this.drainingSinceNanos;
	}

	long nanosSinceStop(long nowNanos) {
		return nowNanos - this.stoppedNanos;
	}

	long ageNanos(long nowNanos) {
		return nowNanos - this.startedNanos;
	}

	/** Slot number, 1-based, reused by the worker that replaces this one. */
	public int getId() {
		return this.id;
	}

	/** Spawn counter of the arbiter when this worker was booted (gunicorn's "age"). */
	public long getAge() {
		return this.age;
	}

	public State getState() {
		return this.state;
	}

	public Instant getStartedAt() {
		return this.startedAt;
	}

	public int getThreads() {
		return this.threads;
	}

	public int getBusyThreads() {
		return this.busy.get();
	}

	public int getQueueCapacity() {
		return this.queueCapacity;
	}

	/** Requests admitted that wait for a thread. */
	public int getQueued() {
		return this.waiting.get();
	}

	public int getInFlight() {
		return this.inFlight.size();
	}

	public long getRequests() {
		return this.served.sum();
	}

	public long getRequestTimeouts() {
		return this.requestTimeouts.sum();
	}

	public long getExceptions() {
		return this.exceptions.sum();
	}

	/** Requests that ended with the given outcome. */
	public long getOutcomeCount(Outcome outcome) {
		return this.outcomes[outcome.ordinal()].sum();
	}

	/** Why the worker is leaving, or {@code null} while it is active. */
	public ExitReason getExitReason() {
		return this.exitReason;
	}

	/** The last exception seen by this worker, or {@code null}. */
	public RecentExceptions.Entry getLastException() {
		return this.lastException;
	}

	/**
	 * The worker's thread pool, for monitoring only (for example Micrometer's
	 * {@code ExecutorServiceMetrics}): work submitted to it directly bypasses admission control.
	 */
	public ThreadPoolExecutor getExecutor() {
		return this.executor;
	}

	/** Time of the last heartbeat, as read now. */
	public Instant getLastHeartbeat() {
		return Instant.now().minusNanos(getNanosSinceHeartbeat());
	}

	public int getAbandonedThreads() {
		return this.abandonedThreads.size();
	}

	/** Nanos since the last heartbeat, as read now. */
	public long getNanosSinceHeartbeat() {
		return this.heartbeat.nanosSinceLastBeat(System.nanoTime());
	}

	/** Whether this is the management lane rather than one of the arbiter's workers. */
	public boolean isManagementLane() {
		return this.id == MANAGEMENT_LANE_ID;
	}

	private String threadNamePrefix() {
		return isManagementLane() ? "prefork-management-t" : "prefork-w" + this.id + "-t";
	}

	@Override
	public String toString() {
		return isManagementLane() ? "Management lane" : "Worker " + this.id;
	}

	/** A fixed-size pool whose hooks keep the worker's heartbeat and busy count. */
	private static final class WorkerExecutor extends ThreadPoolExecutor {

		private final Worker worker;

		private final WorkerThreadFactory threadFactory;

		WorkerExecutor(Worker worker, LinkedBlockingQueue<Runnable> queue) {
			this(worker, queue, new WorkerThreadFactory(worker));
		}

		private WorkerExecutor(Worker worker, LinkedBlockingQueue<Runnable> queue, WorkerThreadFactory factory) {
			super(worker.threads, worker.threads, 0, TimeUnit.MILLISECONDS, queue, factory);
			this.worker = worker;
			this.threadFactory = factory;
		}

		@Override
		protected void beforeExecute(Thread thread, Runnable task) {
			this.worker.busy.incrementAndGet();
			this.worker.heartbeat.beat();
		}

		@Override
		protected void afterExecute(Runnable task, Throwable failure) {
			this.worker.heartbeat.beat();
			this.worker.busy.decrementAndGet();
		}

		List<Thread> threads() {
			return this.threadFactory.created();
		}

	}

	/** Names threads {@code prefork-w<id>-t<n>} so that a stack trace tells which worker it was. */
	private static final class WorkerThreadFactory implements ThreadFactory {

		private final Worker worker;

		private final AtomicInteger count = new AtomicInteger();

		private final List<Thread> created = new ArrayList<>();

		WorkerThreadFactory(Worker worker) {
			this.worker = worker;
		}

		@Override
		public Thread newThread(Runnable runnable) {
			Worker owner = this.worker;
			Thread thread = new Thread(() -> {
				CURRENT.set(owner);
				runnable.run();
			}, owner.threadNamePrefix() + this.count.incrementAndGet());
			// Daemon, so that a thread stuck for good in application code cannot keep the JVM alive;
			// stop() still waits for every healthy thread to end.
			thread.setDaemon(true);
			synchronized (this.created) {
				this.created.removeIf((existing) -> !existing.isAlive() && existing.getState() != Thread.State.NEW);
				this.created.add(thread);
			}
			return thread;
		}

		List<Thread> created() {
			synchronized (this.created) {
				return List.copyOf(this.created);
			}
		}

	}

}
