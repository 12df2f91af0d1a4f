package dev.prefork.server;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * One worker: a fixed pool of named threads in front of a bounded queue, plus the counters the
 * arbiter needs to supervise it. A worker never changes size; the arbiter replaces it instead, which
 * is how the JVM gets the fresh-process benefits of gunicorn's recycling (no ThreadLocal leaks).
 * <p>
 * Its {@link State} only moves forward ({@code BOOTING → ACTIVE → DRAINING → STOPPED}), by
 * compare-and-set, so that a late {@code drain()} cannot bring an aborted worker back; the
 * arbiter accounts for its exit exactly once ({@link #markExited()}).
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

		/** Its threads have been told to stop (gracefully once drained, or at once when aborted). */
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
	 * Room in the executor's queue beyond {@code queueCapacity} and {@code maxInFlight}, for the
	 * continuations of requests already admitted (request-body chunks, code coming back from a
	 * session lookup, stream elements published onto the worker). Each admitted request has
	 * about one queued at a time; streams and WebSocket sessions, which no longer count as in
	 * flight, share this headroom. It only keeps the executor queue itself bounded.
	 */
	private static final int CONTINUATION_HEADROOM = 1024;

	private static final Log logger = LogFactory.getLog(Worker.class);

	private static final ThreadLocal<Worker> CURRENT = new ThreadLocal<>();

	/** Whether the calling pool thread has left a request's code in its current task: see {@link #releaseCallingThread()}. */
	private static final ThreadLocal<boolean[]> LEFT_REQUEST = ThreadLocal.withInitial(() -> new boolean[1]);

	/** Id of the small worker that serves management requests apart from the others. */
	static final int MANAGEMENT_LANE_ID = 0;

	private final int id;

	private final long age;

	private final int threads;

	private final boolean virtualThreads;

	private final int queueCapacity;

	private final int maxInFlight;

	private final long maxRequests;

	private final Instant startedAt = Instant.now();

	private final long startedNanos = System.nanoTime();

	private final WorkerListener listener;

	private final WorkerHeartbeat heartbeat = new WorkerHeartbeat();

	private final WorkerThreadPool pool;

	/** Requests admitted that no thread has taken yet (each holds a place in the queue). */
	private final AtomicInteger waiting = new AtomicInteger();

	/** Requests admitted whose answer has not started: what {@code maxInFlight} bounds. */
	private final AtomicInteger unanswered = new AtomicInteger();

	/** Requests whose answer has started and is still being written (streams, downloads). */
	private final AtomicInteger streaming = new AtomicInteger();

	private final AtomicInteger busy = new AtomicInteger();

	/** Of the busy threads, those done with their request and on their way back to the pool: see {@link #releaseCallingThread()}. */
	private final AtomicInteger finishing = new AtomicInteger();

	/** Requests admitted and not yet finished: see {@link RequestTask} for when one is. */
	private final Set<RequestTask> inFlight = ConcurrentHashMap.newKeySet();

	private final LongAdder served = new LongAdder();

	private final LongAdder[] outcomes = new LongAdder[Outcome.values().length];

	private final LongAdder requestTimeouts = new LongAdder();

	private final LongAdder exceptions = new LongAdder();

	private final Set<Thread> abandonedThreads = ConcurrentHashMap.newKeySet();

	/** How to close each open WebSocket session with 1001 Going Away. */
	private final Set<Runnable> webSockets = ConcurrentHashMap.newKeySet();

	private final AtomicBoolean recycleRequested = new AtomicBoolean();

	private final AtomicReference<State> state = new AtomicReference<>(State.BOOTING);

	private final AtomicBoolean exited = new AtomicBoolean();

	private volatile @Nullable ExitReason exitReason;

	private volatile RecentExceptions.@Nullable Entry lastException;

	private volatile long stoppedNanos;

	private volatile long drainingSinceNanos;

	/**
	 * A worker whose threads are named {@code threadNames} + their number ({@code prefork-w3-t1}).
	 */
	Worker(String threadNames, int id, long age, int threads, boolean virtualThreads, int queueCapacity,
			int maxInFlight, long maxRequests, WorkerListener listener) {
		this.id = id;
		this.age = age;
		this.threads = threads;
		this.virtualThreads = virtualThreads;
		this.queueCapacity = queueCapacity;
		this.maxInFlight = maxInFlight;
		this.maxRequests = maxRequests;
		this.listener = listener;
		int queueSize = (int) Math.min(Integer.MAX_VALUE,
				(long) queueCapacity + threads + maxInFlight + CONTINUATION_HEADROOM);
		this.pool = WorkerThreadPool.create(threads, queueSize, threadNames,
				virtualThreads, () -> CURRENT.set(this), new PoolListener());
		for (int i = 0; i < this.outcomes.length; i++) {
			this.outcomes[i] = new LongAdder();
		}
	}

	/** The worker whose thread is calling, or {@code null} on any other thread. */
	static @Nullable Worker current() {
		return CURRENT.get();
	}

	/** Starts the threads and runs the initializer on the calling thread; the worker stays BOOTING. */
	void boot(WorkerInitializer initializer) throws Exception {
		this.pool.prestartAllCoreThreads();
		initializer.initialize(this.id);
		this.heartbeat.beat();
	}

	/**
	 * Starts taking requests.
	 * @return {@code false} if the worker was stopped while it booted
	 */
	boolean activate() {
		this.heartbeat.beat();
		return this.state.compareAndSet(State.BOOTING, State.ACTIVE);
	}

	/**
	 * Takes a request if a thread is idle or the queue has room, and fewer than
	 * {@code maxInFlight} requests await their answer.
	 * @return {@code false} when the worker is full or no longer active
	 */
	boolean tryAdmit(RequestTask task) {
		if (this.state.get() != State.ACTIVE) {
			return false;
		}
		if (!reserve(this.unanswered, this.maxInFlight)) {
			return false;
		}
		if (!reserve(this.waiting, this.queueCapacity + Math.max(0, this.threads - atWork()))) {
			this.unanswered.decrementAndGet();
			return false;
		}
		task.reservedOn(this);
		this.inFlight.add(task);
		// abort() stops the worker before it looks at the queue: a request admitted after that
		// look is refused here, or by the shut-down pool, and goes to another worker instead.
		if (this.state.get() != State.ACTIVE) {
			undoAdmission(task);
			return false;
		}
		try {
			this.pool.execute(task);
			return true;
		}
		catch (RejectedExecutionException ex) {
			undoAdmission(task);
			return false;
		}
	}

	private void undoAdmission(RequestTask task) {
		this.waiting.decrementAndGet();
		task.releaseReservation();
		// drain() may have found the request here and waited for it: it must hear that it left.
		requestFinished(task);
	}

	private static boolean reserve(AtomicInteger counter, int limit) {
		int current;
		do {
			current = counter.get();
			if (current >= limit) {
				return false;
			}
		}
		while (!counter.compareAndSet(current, current + 1));
		return true;
	}

	/** A request admitted here no longer awaits its answer: it answers, or it ended. */
	void reservationReleased() {
		this.unanswered.decrementAndGet();
	}

	/** A request's answer has started: it streams from now on, and no longer counts as unanswered. */
	void requestCommitted() {
		this.streaming.incrementAndGet();
	}

	/**
	 * Runs a continuation of a request admitted here. Once this worker's threads have gone (its
	 * streams outlive them), another worker runs it.
	 * @throws RejectedExecutionException when the queue's headroom is used up, or no worker is
	 * left to run it
	 */
	void execute(Runnable continuation) {
		try {
			this.pool.execute(continuation);
		}
		catch (RejectedExecutionException ex) {
			if (!this.pool.isShutdown() || !this.listener.adopt(continuation)) {
				throw ex;
			}
		}
	}

	/**
	 * Runs a continuation of another worker's request here, if this worker still takes requests.
	 * @return whether it will run
	 */
	boolean adopt(Runnable continuation) {
		if (this.state.get() != State.ACTIVE) {
			return false;
		}
		try {
			this.pool.execute(continuation);
			return true;
		}
		catch (RejectedExecutionException ex) {
			return false;
		}
	}

	/**
	 * The calling thread of this worker's pool is done with its request in its current task: the
	 * answer is committed (the thread writes it and leaves), or the thread left the request's code.
	 * It counts as idle from now on, not only once the pool's bookkeeping after the task ends: the
	 * client may have the answer, and send its next request, before that. Counted as busy still, a
	 * thread about to be free left no room for that request, and clients keeping exactly to what
	 * the worker admits were answered 503 now and then (about 1 in 140 on four HTTP/1.1
	 * connections at a worker admitting four; on HTTP/2, whose answer is sent after the thread
	 * leaves, 197 in 10 s of h2load at 16 x 10 streams: issue #13). Only admission counts it so:
	 * it is still busy for supervision and for running a continuation inline (code blocking after
	 * its commit, on its own write, waits there). One that goes on running after its commit may
	 * let one more request wait in the queue, which has room for it.
	 */
	void releaseCallingThread() {
		if (CURRENT.get() != this) {
			return; // not one of this pool's threads, whose tasks alone count as busy
		}
		boolean[] left = LEFT_REQUEST.get();
		if (!left[0]) {
			left[0] = true;
			this.finishing.incrementAndGet();
		}
	}

	/** Threads at work on a request, for admission. */
	private int atWork() {
		// finishing first: a thread ending its task in between is seen gone from both, or from
		// busy only (one place too many for a moment), never from finishing only (a refusal).
		int finishing = this.finishing.get();
		return this.busy.get() - finishing;
	}

	/** Whether a thread is free to take a task at once. */
	boolean hasIdleThread() {
		return this.busy.get() < this.threads;
	}

	/** How busy the worker is: threads at work plus requests waiting for one. */
	int load() {
		return this.busy.get() + this.waiting.get();
	}

	/** Whether the worker served its quota and waits to be recycled. */
	boolean isRecycleDue() {
		return this.recycleRequested.get();
	}

	/** A queued request ended before any thread took it: it gives its place in the queue back. */
	void queuedRequestEnded(RequestTask task) {
		if (this.pool.remove(task)) {
			this.waiting.decrementAndGet();
		}
	}

	void requestStarted() {
		this.served.increment();
		if (this.maxRequests > 0 && this.served.sum() >= this.maxRequests
				&& this.recycleRequested.compareAndSet(false, true)) {
			this.listener.maxRequestsReached(this);
		}
	}

	/** The request has finished: answered, its response written and no thread left in its code. */
	void requestFinished(RequestTask task) {
		if (!this.inFlight.remove(task)) {
			return;
		}
		if (task.hasCommitted()) {
			this.streaming.decrementAndGet();
		}
		if (this.state.get() == State.DRAINING && this.inFlight.isEmpty()) {
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

	void webSocketOpened(Runnable goingAway) {
		this.webSockets.add(goingAway);
		if (this.state.get() != State.ACTIVE) {
			closeWebSockets(); // opened as the worker began to drain: it goes away with the others
		}
	}

	void webSocketClosed(Runnable goingAway) {
		this.webSockets.remove(goingAway);
	}

	/** Closes every open WebSocket session with 1001 Going Away; its client reconnects elsewhere. */
	void closeWebSockets() {
		for (Runnable goingAway : List.copyOf(this.webSockets)) {
			goingAway.run();
		}
	}

	/**
	 * Stops taking new requests; those in flight carry on, but its WebSocket sessions are closed
	 * with 1001 Going Away: their messages are handled on its threads, which are going.
	 * @return {@code false} if the worker was not active
	 */
	boolean drain() {
		this.drainingSinceNanos = System.nanoTime();
		if (!this.state.compareAndSet(State.ACTIVE, State.DRAINING)) {
			return false;
		}
		closeWebSockets();
		if (this.inFlight.isEmpty()) {
			this.listener.drained(this);
		}
		return true;
	}

	/**
	 * Whether every request left in flight is a stream: its answer has started, and no request
	 * waits for, holds or is queued for a thread. The worker's threads can then go.
	 */
	boolean hasOnlyStreamsLeft() {
		return this.unanswered.get() == 0 && this.waiting.get() == 0 && this.busy.get() == 0
				&& this.inFlight.size() == this.streaming.get();
	}

	/** Closes the streams that have written nothing for {@code idleNanos}. */
	void closeIdleStreams(long nowNanos, long idleNanos) {
		if (this.streaming.get() == 0) {
			return;
		}
		for (RequestTask task : this.inFlight) {
			task.closeIfIdle(nowNanos, idleNanos);
		}
	}

	/** See {@link RequestTask#releaseParkedCommit}. */
	void releaseParkedCommits(long nowNanos, long minNanos) {
		for (RequestTask task : this.inFlight) {
			task.releaseParkedCommit(nowNanos, minNanos);
		}
	}

	/** Lets the threads finish what is queued, then end. */
	void shutdown() {
		markStopped();
		this.pool.shutdown();
	}

	/**
	 * Stops the worker at once: requests that had started are answered 503 and their threads
	 * interrupted; those that had not are handed back, so that the caller can give them to
	 * another worker or answer them.
	 * @return the requests that were admitted and never started, still unanswered
	 */
	List<RequestTask> abort(String reason) {
		return abort(reason, true);
	}

	/**
	 * Like {@link #abort(String)}, but leaves the streams alone: answers that have started and
	 * hold no thread of the worker's carry on after its threads have gone.
	 */
	List<RequestTask> abortAllButStreams(String reason) {
		return abort(reason, false);
	}

	private List<RequestTask> abort(String reason, boolean streamsToo) {
		markStopped();
		List<Runnable> neverRan = new ArrayList<>();
		this.pool.getQueue().drainTo(neverRan);
		for (RequestTask task : List.copyOf(this.inFlight)) {
			if (streamsToo) {
				task.abortIfStarted(reason);
			}
			else {
				task.abortIfRunning(reason);
			}
		}
		neverRan.addAll(this.pool.shutdownNow());
		List<RequestTask> notStarted = new ArrayList<>();
		int dropped = 0;
		for (Runnable runnable : neverRan) {
			if (runnable instanceof RequestTask task) {
				this.waiting.decrementAndGet();
				task.releaseReservation();
				this.inFlight.remove(task);
				if (!task.isEnded()) {
					notStarted.add(task);
				}
			}
			else if (!handOn(runnable)) {
				dropped++;
			}
		}
		if (dropped > 0) {
			logger.debug("Worker " + this.id + " dropped " + dropped + " continuations: no worker left to run them");
		}
		closeWebSockets();
		return notStarted;
	}

	/**
	 * Gives a continuation left in this worker's queue to a worker that takes requests: dropped,
	 * it would leave a stream that carries on with nothing to drive it, and Reactor's queue behind
	 * it unreleased. With no such worker (the server stops), one of a request aborted just before
	 * runs here: its pipeline is cancelled, so all it does is release what it queued (body chunks).
	 * @return whether it was handed on or run
	 */
	private boolean handOn(Runnable continuation) {
		if (this.listener.adopt(continuation)) {
			return true;
		}
		if (continuation instanceof RequestTask.Continuation ofRequest && ofRequest.isOfEndedRequest()) {
			runToCleanUp(ofRequest);
			return true;
		}
		return false;
	}

	private void runToCleanUp(RequestTask.Continuation continuation) {
		// The request's code clears an interrupt meant for it on the way out: keep the caller's own.
		boolean callerInterrupted = Thread.currentThread().isInterrupted();
		try {
			continuation.run();
		}
		catch (RuntimeException ex) {
			logger.debug("Continuation of an aborted request failed as it cleaned up", ex);
		}
		finally {
			if (callerInterrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private void markStopped() {
		State current;
		do {
			current = this.state.get();
			if (current == State.STOPPED) {
				return;
			}
		}
		while (!this.state.compareAndSet(current, State.STOPPED));
		this.stoppedNanos = System.nanoTime();
	}

	/**
	 * Records that the arbiter has accounted for this worker's exit.
	 * @return {@code true} the first time only
	 */
	boolean markExited() {
		return this.exited.compareAndSet(false, true);
	}

	boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
		return this.pool.awaitTermination(timeout, unit);
	}

	boolean isTerminated() {
		return this.pool.isTerminated();
	}

	/**
	 * Writes off the threads of this worker still alive after it stopped (they are stuck in
	 * application code), and with them the requests they are stuck in.
	 */
	int abandonLiveThreads() {
		for (Thread thread : this.pool.threads()) {
			if (thread.isAlive()) {
				this.abandonedThreads.add(thread);
			}
		}
		for (RequestTask task : List.copyOf(this.inFlight)) {
			task.abandonRunners();
		}
		return this.abandonedThreads.size();
	}

	/**
	 * Times out the requests this worker has had for longer than {@code timeoutNanos}, and
	 * abandons the threads that have not come back {@code gracefulNanos} after their interrupt.
	 */
	void timeOutOverdueRequests(long nowNanos, long timeoutNanos, long gracefulNanos) {
		for (RequestTask task : this.inFlight) {
			try {
				if (task.isOverdue(nowNanos, timeoutNanos)) {
					task.timeOut();
				}
				else {
					task.abandonStuckThreads(nowNanos, gracefulNanos);
				}
			}
			catch (RuntimeException ex) {
				// One request that cannot be timed out must not spare the others.
				logger.error("Could not time out a request on " + this, ex);
			}
		}
	}

	/** Whether every thread is busy and none has made progress for {@code timeoutNanos}. */
	boolean isStuck(long nowNanos, long timeoutNanos) {
		return this.state.get() == State.ACTIVE && this.busy.get() >= this.threads
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
		return this.state.get();
	}

	public Instant getStartedAt() {
		return this.startedAt;
	}

	public int getThreads() {
		return this.threads;
	}

	/** Whether its threads are virtual ones; there are still {@link #getThreads()} of them. */
	public boolean isVirtualThreads() {
		return this.virtualThreads;
	}

	public int getBusyThreads() {
		return this.busy.get();
	}

	public int getQueueCapacity() {
		return this.queueCapacity;
	}

	/** Requests admitted that wait for a thread. */
	/** Tasks waiting in the executor's queue, requests and continuations alike. */
	int pendingTasks() {
		return this.pool.getQueue().size();
	}

	public int getQueued() {
		return this.waiting.get();
	}

	/**
	 * Requests a worker admits at once: each one holds a thread or a place in the queue until it
	 * runs, and a place in flight until it answers.
	 */
	static int admitted(int threads, int queueCapacity, int maxInFlight) {
		return (int) Math.min(maxInFlight, (long) threads + queueCapacity);
	}

	/** Requests admitted whose answer has not started, bounded by {@link #getMaxInFlight()}. */
	public int getUnanswered() {
		return this.unanswered.get();
	}

	/** Most requests awaiting their answer that this worker admits at once. */
	public int getMaxInFlight() {
		return this.maxInFlight;
	}

	/** Requests whose answer has started and is still being written (streams, downloads). */
	public int getStreaming() {
		return this.streaming.get();
	}

	/** Open WebSocket sessions whose handshake this worker admitted. */
	public int getWebSockets() {
		return this.webSockets.size();
	}

	/** Requests admitted and not finished (their code still running, or their answer still being written). */
	public int getInFlight() {
		return this.inFlight.size();
	}

	/** Requests this worker started. */
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
	public @Nullable ExitReason getExitReason() {
		return this.exitReason;
	}

	/** The last exception seen by this worker, or {@code null}. */
	public RecentExceptions.@Nullable Entry getLastException() {
		return this.lastException;
	}

	/**
	 * The worker's thread pool, for monitoring only (for example Micrometer's
	 * {@code ExecutorServiceMetrics}): work submitted to it directly bypasses admission control.
	 */
	public ThreadPoolExecutor getExecutor() {
		return this.pool;
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

	@Override
	public String toString() {
		return isManagementLane() ? "Management lane" : "Worker " + this.id;
	}

	/** Keeps the heartbeat and the busy count from the pool's own hooks. */
	private final class PoolListener implements WorkerThreadPool.Listener {

		@Override
		public void taskStarting(Runnable task) {
			// The request stops waiting before its thread counts as busy: for a moment counted as
			// both, it would leave no room for one arriving then, although another thread is idle.
			if (task instanceof RequestTask) {
				Worker.this.waiting.decrementAndGet();
			}
			endFinishing(); // done by taskFinished() already; should a task ever end without it, the count goes here
			Worker.this.busy.incrementAndGet();
			Worker.this.heartbeat.beat();
		}

		@Override
		public void taskFinished() {
			Worker.this.heartbeat.beat();
			Worker.this.busy.decrementAndGet();
			endFinishing(); // after busy: see atWork()
		}

		/** The calling thread no longer counts among the finishing ones, if it did. */
		private void endFinishing() {
			boolean[] left = LEFT_REQUEST.get();
			if (left[0]) {
				left[0] = false;
				Worker.this.finishing.decrementAndGet();
			}
		}

	}

}
