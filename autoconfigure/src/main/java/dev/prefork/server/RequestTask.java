package dev.prefork.server;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.BiFunction;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;
import reactor.netty.Connection;
import reactor.netty.channel.ChannelOperations;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * One request on its way through a worker. Its state decides, exactly once, how the request
 * ends: served, timed out, aborted with its worker, cancelled because the client went away, or
 * refused. The application owns the response only while the request runs: it claims it when it
 * starts to answer ({@link #beginResponse()}), and once the server has ended the request the
 * application can no longer write. So every request is answered once and counted once.
 * <p>
 * A request is <em>finished</em>, and leaves its worker's in-flight set, when it has ended, its
 * response has been written to the connection (or the connection closed), and no thread is
 * left in its code (or the one left was abandoned). Until then a thread still inside it, even
 * one whose client left, stays under the request timeout.
 */
final class RequestTask implements Runnable {

	private static final Log logger = LogFactory.getLog(RequestTask.class);

	private static final ThreadLocal<RequestTask> CURRENT = new ThreadLocal<>();

	private static final int QUEUED = 0;

	private static final int RUNNING = 1;

	/** The application has started to answer: the response is its own. */
	private static final int COMMITTED = 2;

	private static final int DONE = 3;

	private static final int TIMED_OUT = 4;

	private static final int ABORTED = 5;

	private static final int CANCELLED = 6;

	private static final int REFUSED = 7;

	/**
	 * Status given to post-request hooks, and to the access log, for a request whose client left
	 * before its answer began (nginx's convention).
	 */
	private static final int CLIENT_CLOSED_REQUEST = 499;

	/**
	 * The request whose answer an HTTP/1.1 connection is writing, for the access log only: requests
	 * on a connection are dispatched one at a time, each once the previous one's answer is written.
	 */
	private static final AttributeKey<RequestTask> ANSWERING = AttributeKey.valueOf("prefork.answering");

	/** A field updater rather than an AtomicBoolean: no object per request while the log is off. */
	private static final AtomicIntegerFieldUpdater<RequestTask> LOGGED = AtomicIntegerFieldUpdater
		.newUpdater(RequestTask.class, "logged");

	private final HttpServerRequest request;

	private final HttpServerResponse response;

	private final BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>> handler;

	private final MonoSink<Void> sink;

	private final RequestOutcomes outcomes;

	private final List<RequestHook> hooks;

	private final long admittedNanos = System.nanoTime();

	private final AtomicInteger state = new AtomicInteger(QUEUED);

	private final AtomicBoolean finished = new AtomicBoolean();

	/** Whether the request holds one of its worker's places for requests awaiting their answer. */
	private final AtomicBoolean reserved = new AtomicBoolean();

	private volatile boolean committed;

	private volatile long lastWriteNanos;

	/** What the connection's outbound buffer held at the last idle check (its event loop only). */
	private long lastPendingBytes = -1;

	private long lastProgress = -1;

	private final HandlerSubscriber subscriber = new HandlerSubscriber();

	private final Executor continuations = this::executeContinuation;

	private @Nullable Scheduler scheduler;

	private volatile @Nullable Worker worker;

	/** The hop of an HTTP/2 one-buffer answer's commit, once the answer has reached it. */
	private volatile @Nullable EventLoopCommit eventLoopCommit;

	private volatile RequestHook.@Nullable Request hookRequest;

	private volatile boolean responseEnded;

	/** The connection's event loop: the only thread that may write to it. */
	private final @Nullable EventLoop eventLoop;

	private final RequestRunners runners = new RequestRunners();

	private final @Nullable AccessLog accessLog;

	/** Whether the request's access-log line has been written (1) or not (0). */
	private volatile int logged;

	/**
	 * Body bytes handed to the connection so far, counted only for the access log. Written by one
	 * thread at a time (a body's elements are signalled in sequence), read once it has finished.
	 */
	private volatile long bodyBytes;

	/** The status the connection saw sent where the response does not know it, or 0. */
	private volatile int statusSent;

	RequestTask(HttpServerRequest request, HttpServerResponse response,
			BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>> handler,
			MonoSink<Void> sink, RequestOutcomes outcomes, List<RequestHook> hooks, @Nullable AccessLog accessLog) {
		this.request = request;
		this.response = response;
		this.handler = handler;
		this.sink = sink;
		this.outcomes = outcomes;
		this.hooks = hooks;
		this.accessLog = accessLog;
		this.eventLoop = (request instanceof Connection connection) ? connection.channel().eventLoop() : null;
	}

	/** The request whose code the calling thread is running, or {@code null}. */
	static @Nullable RequestTask current() {
		return CURRENT.get();
	}

	/**
	 * Watches the connection for the end of this request's response: reactor-netty terminates a
	 * request's operations once its last packet has been written, or when the connection closes.
	 */
	void watchResponse() {
		if (this.request instanceof ChannelOperations<?, ?> operations) {
			operations.onTerminate().subscribe(null, (error) -> responseEnded(), this::responseEnded);
		}
		else {
			this.responseEnded = true;
		}
		Channel channel = channel();
		if (this.accessLog != null && channel != null && !(channel instanceof Http2StreamChannel)) {
			channel.attr(ANSWERING).set(this);
		}
	}

	/**
	 * Tells the request whose answer the connection is writing the status that went out, where
	 * its response does not know it: the {@code 400} reactor-netty sends for a body the decoder
	 * could not read, the {@code 101} of a WebSocket handshake. Only while the access log is on;
	 * called on the connection's event loop, before the request can finish.
	 */
	static void statusSent(Channel channel, int status) {
		RequestTask task = channel.attr(ANSWERING).get();
		if (task != null) {
			task.statusSent = status;
		}
	}

	/** The worker admitted the request and reserved it a place among those awaiting their answer. */
	void reservedOn(Worker worker) {
		this.worker = worker;
		this.reserved.set(true);
	}

	/** Gives the place back: the request answers, ended, or moves to another worker. */
	void releaseReservation() {
		Worker worker = this.worker;
		if (worker != null && this.reserved.compareAndSet(true, false)) {
			worker.reservationReleased();
		}
	}

	/** Whether the application started to answer (its response streams until finished). */
	boolean hasCommitted() {
		return this.committed;
	}

	@Nullable Worker worker() {
		return this.worker;
	}

	/** Whether the request came on an HTTP/2 stream. */
	boolean isHttp2() {
		return channel() instanceof Http2StreamChannel;
	}

	HttpServerRequest request() {
		return this.request;
	}

	/**
	 * Runs further work of this request on the worker that took it: request-body chunks, and code
	 * that completes on a Reactor thread (a session lookup, Spring Security) and comes back here.
	 */
	Executor continuations() {
		return this.continuations;
	}

	/** The last commit action of a one-buffer answer on HTTP/2; see {@link EventLoopCommit}. */
	Mono<Void> commitOnEventLoop() {
		EventLoop eventLoop = this.eventLoop;
		if (eventLoop == null || !(this.request instanceof ChannelOperations<?, ?> operations)) {
			return Mono.empty();
		}
		EventLoopCommit commit = new EventLoopCommit(this, eventLoop, operations);
		this.eventLoopCommit = commit;
		return commit.action();
	}

	/**
	 * Lets the event loop send a one-buffer HTTP/2 answer whose worker thread has been parked in
	 * the request's code since it reached the send, for at least {@code minNanos}.
	 */
	void releaseParkedCommit(long nowNanos, long minNanos) {
		EventLoopCommit commit = this.eventLoopCommit;
		if (commit != null) {
			commit.releaseIfParked(nowNanos, minNanos);
		}
	}

	/** Completes when the request's connection closes (never when it has none). */
	Mono<Void> connectionClosed() {
		return (this.request instanceof Connection connection) ? connection.onDispose() : Mono.never();
	}

	/** The {@link #continuations()} for {@code publishOn} of the request body; see {@link DrainingScheduler}. */
	Scheduler bodyScheduler() {
		return new DrainingScheduler(this.continuations);
	}

	/**
	 * The {@link #continuations()} as a Reactor scheduler, made once per request; see
	 * {@link ContinuationScheduler}.
	 */
	Scheduler scheduler() {
		Scheduler scheduler = this.scheduler;
		if (scheduler == null) {
			scheduler = new ContinuationScheduler(this.continuations);
			this.scheduler = scheduler;
		}
		return scheduler;
	}

	@Override
	public void run() {
		Worker worker = this.worker;
		if (worker.getState() == Worker.State.STOPPED) {
			abort("its worker was stopped"); // taken from the queue as the worker was aborted
		}
		if (!this.state.compareAndSet(QUEUED, RUNNING)) {
			// Ended while it waited, and perhaps handed to this worker while it ended: whatever
			// else saw it, this worker must not keep it.
			releaseReservation();
			worker.requestFinished(this);
			return;
		}
		if (!isClientConnected()) {
			cancel();
			return;
		}
		worker.requestStarted();
		runPreRequestHooks(worker);
		enter();
		try {
			Publisher<Void> publisher = this.handler.apply(this.request, this.response);
			Mono.from(publisher).contextWrite(this.sink.contextView()).subscribe(this.subscriber);
		}
		catch (Throwable ex) {
			completed(ex);
		}
		finally {
			exit();
		}
	}

	private void executeContinuation(Runnable continuation) {
		if (CURRENT.get() == this) {
			// Already on a thread of this request's worker, in its code: no hand-off needed.
			continuation.run();
			return;
		}
		Worker worker = this.worker;
		if (!worker.hasIdleThread() && this.runners.hasParked()) {
			// A thread of this request waits, and perhaps for this very continuation (blocking code
			// calling block() on its session or body): queued behind it, the continuation would
			// never run. It runs where it completed, as on stock WebFlux; the waiting code resumes
			// on its worker thread.
			continuation.run();
			return;
		}
		worker.execute(new Continuation(continuation));
	}

	/** Further work of this request, run on a worker thread inside the request's code. */
	final class Continuation implements Runnable {

		private final Runnable body;

		private Continuation(Runnable body) {
			this.body = body;
		}

		/** Whether its request has ended: its pipeline is cancelled, so it can only clean up. */
		boolean isOfEndedRequest() {
			return isEnded();
		}

		@Override
		public void run() {
			enter();
			try {
				this.body.run();
			}
			finally {
				exit();
			}
		}

	}

	private void enter() {
		this.runners.enter();
		CURRENT.set(this);
	}

	private void exit() {
		CURRENT.remove();
		this.runners.exit();
		this.worker.releaseCallingThread(); // before the send below: its answer may bring the next request
		EventLoopCommit commit = this.eventLoopCommit;
		if (commit != null) {
			commit.threadLeft();
		}
		finishIfDone();
	}

	/**
	 * Claims the response for the application, which Spring is about to commit.
	 * @return {@code false} when the server has already ended the request: nothing the
	 * application writes for it may go out any more
	 */
	boolean beginResponse() {
		int current;
		do {
			current = this.state.get();
			if (current == COMMITTED) {
				return true;
			}
			if (current != RUNNING) {
				return false;
			}
		}
		while (!this.state.compareAndSet(RUNNING, COMMITTED));
		this.lastWriteNanos = System.nanoTime();
		this.committed = true;
		releaseReservation();
		this.worker.requestCommitted();
		if (CURRENT.get() == this) {
			this.worker.releaseCallingThread(); // it writes the answer now, which may bring the next request
		}
		return true;
	}

	private void completed(@Nullable Throwable error) {
		int previous = end(RUNNING, COMMITTED, -1, DONE);
		if (previous < 0) {
			return;
		}
		Worker worker = this.worker;
		if (error == null) {
			int status = this.response.status().code();
			worker.requestEndedAs((status < 400) ? Worker.Outcome.SUCCESS
					: (status < 500) ? Worker.Outcome.CLIENT_ERROR : Worker.Outcome.SERVER_ERROR);
			runPostRequestHooks(status);
			this.sink.success();
		}
		else {
			worker.requestEndedAs(Worker.Outcome.SERVER_ERROR);
			runPostRequestHooks(500);
			this.outcomes.exception(error, worker, Thread.currentThread(), this.request);
			logger.error("Error on worker " + worker.getId() + " for " + this.request.method() + " "
					+ this.request.fullPath(), error);
			if (this.response.hasSentHeaders()) {
				closeConnection();
			}
			else {
				// The application is done with the response, so this thread may still answer on it.
				respondEmpty(HttpResponseStatus.INTERNAL_SERVER_ERROR);
			}
		}
		finishIfDone();
	}

	/**
	 * Whether the request has been waiting for its answer (queueing included) for longer than
	 * {@code timeoutNanos} and is still to be timed out: not yet answering, or cancelled with a
	 * thread still in its code. An answer that has begun is left to finish: cutting it would
	 * leave the client with half a response. The arbiter asks on every tick: a per-request timer
	 * on the event loop would cost a schedule and a cross-thread cancel per request, which under
	 * load starved the event loops of accepts.
	 */
	boolean isOverdue(long nowNanos, long timeoutNanos) {
		if (nowNanos - this.admittedNanos <= timeoutNanos) {
			return false;
		}
		int current = this.state.get();
		return current < COMMITTED || (current == CANCELLED && this.runners.hasUninterrupted());
	}

	/** Ends the request as timed out: answered 503, its threads interrupted. */
	void timeOut() {
		int previous = end(QUEUED, RUNNING, -1, TIMED_OUT);
		if (previous < 0) {
			if (this.state.get() == CANCELLED) {
				interruptLeftBehind();
			}
			return;
		}
		Worker worker = this.worker;
		worker.requestTimedOut();
		worker.requestEndedAs(Worker.Outcome.TIMEOUT);
		this.outcomes.requestTimedOut();
		answerUnavailable(previous, false);
		runPostRequestHooks(503); // after the answer is on its way: a slow hook must not delay it
		List<Thread> stuck = this.runners.interrupt();
		logger.warn("Request " + this.request.method() + " " + this.request.fullPath() + " on worker " + worker.getId()
				+ " timed out" + (stuck.isEmpty() ? "" : ", interrupting " + names(stuck)));
		finishIfDone();
	}

	/** A cancelled request whose code still runs past the request timeout: interrupt it too. */
	private void interruptLeftBehind() {
		List<Thread> stuck = this.runners.interrupt();
		if (!stuck.isEmpty()) {
			logger.warn("Request " + this.request.method() + " " + this.request.fullPath() + ", whose client left, "
					+ "ran past the request timeout; interrupting " + names(stuck));
		}
	}

	/**
	 * Abandons the threads still in this request's code {@code gracefulNanos} after they were
	 * interrupted: they are written off (counted, and their worker recycled) and the request
	 * finishes without them. Asked by the arbiter on every tick, like {@link #isOverdue}.
	 */
	void abandonStuckThreads(long nowNanos, long gracefulNanos) {
		List<Thread> left = this.runners.abandonIfStuck(nowNanos, gracefulNanos);
		if (left.isEmpty()) {
			return;
		}
		Worker worker = this.worker;
		for (Thread thread : left) {
			logger.error("Thread " + thread.getName() + " did not return from a timed-out request; abandoning it");
			worker.threadAbandoned(thread);
		}
		finishIfDone();
	}

	/** Ends the request because its worker was stopped: answered 503 and its threads interrupted. */
	void abort(String reason) {
		abort(reason, end(QUEUED, RUNNING, COMMITTED, ABORTED));
	}

	/** Like {@link #abort(String)}, but leaves a request that has not started alone. */
	void abortIfStarted(String reason) {
		abort(reason, end(RUNNING, COMMITTED, -1, ABORTED));
	}

	/** Like {@link #abortIfStarted(String)}, but leaves a request whose answer has started alone. */
	void abortIfRunning(String reason) {
		abort(reason, end(RUNNING, -1, -1, ABORTED));
	}

	/** Its worker gave up on the threads still in this request's code: the request finishes without them. */
	void abandonRunners() {
		this.runners.abandon();
		finishIfDone();
	}

	/** Marks the response as written to just now: a stream that writes is not idle. */
	void wrote() {
		this.lastWriteNanos = System.nanoTime();
	}

	/** Whether the response's body bytes are counted: only for the access log. */
	boolean countsBodyBytes() {
		return this.accessLog != null;
	}

	/** Body bytes of the response are on their way to the connection. */
	void bodyWritten(long bytes) {
		this.bodyBytes += bytes;
	}

	/**
	 * Closes the connection of a stream that has written nothing for {@code idleNanos}: a client that
	 * stopped reading, or a publisher that stopped producing, would otherwise hold it for good.
	 */
	void closeIfIdle(long nowNanos, long idleNanos) {
		if (this.state.get() != COMMITTED || nowNanos - this.lastWriteNanos <= idleNanos) {
			return;
		}
		Channel channel = channel();
		EventLoop eventLoop = this.eventLoop;
		if (channel == null || eventLoop == null) {
			closeIdle(idleNanos);
			return;
		}
		// The application produced nothing for that long, but the socket may still be taking what
		// it produced before (a large body, a file sent with zero copy, to a slow client): the
		// outbound buffer, read on its event loop, tells.
		eventLoop.execute(() -> {
			if (socketTookBytesSinceLastLook(channel)) {
				wrote();
			}
			else {
				closeIdle(idleNanos);
			}
		});
	}

	/** Called on the channel's event loop, where its outbound buffer may be read. */
	private boolean socketTookBytesSinceLastLook(Channel channel) {
		ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
		if (outbound == null || outbound.totalPendingWriteBytes() == 0) {
			return false; // nothing waits to be written: the stream is idle indeed
		}
		long pending = outbound.totalPendingWriteBytes();
		long progress = outbound.currentProgress();
		boolean moved = pending != this.lastPendingBytes || progress != this.lastProgress;
		this.lastPendingBytes = pending;
		this.lastProgress = progress;
		return moved;
	}

	private void closeIdle(long idleNanos) {
		if (end(COMMITTED, -1, -1, TIMED_OUT) < 0) {
			return;
		}
		Worker worker = this.worker;
		worker.requestEndedAs(Worker.Outcome.TIMEOUT);
		logger.info("Closing the stream of " + this.request.method() + " " + this.request.fullPath() + " on worker "
				+ worker.getId() + ": it wrote nothing for " + Duration.ofNanos(idleNanos).toSeconds() + "s");
		answerUnavailable(COMMITTED, false); // an answer that has begun: its connection is closed
		runPostRequestHooks(this.response.status().code());
		finishIfDone();
	}

	private void abort(String reason, int previous) {
		if (previous < 0) {
			return;
		}
		Worker worker = this.worker;
		if (worker != null) {
			worker.requestEndedAs(Worker.Outcome.ABORTED);
		}
		answerUnavailable(previous, false);
		runPostRequestHooks(503);
		this.runners.interrupt();
		logger.debug("Request " + this.request.method() + " " + this.request.fullPath() + " aborted: " + reason);
		finishIfDone();
	}

	/** The client went away: a queued request is dropped before it runs, a running one is cancelled. */
	void cancel() {
		if (end(QUEUED, RUNNING, COMMITTED, CANCELLED) < 0) {
			return;
		}
		this.outcomes.clientGone();
		Worker worker = this.worker;
		if (worker != null) {
			worker.requestEndedAs(Worker.Outcome.CLIENT_GONE);
		}
		runPostRequestHooks(CLIENT_CLOSED_REQUEST);
		this.subscriber.dispose();
		finishIfDone();
	}

	/** Answers a request that no worker would take: 503 with Retry-After. */
	void reject() {
		if (end(QUEUED, -1, -1, REFUSED) == QUEUED) {
			this.outcomes.rejected();
			answerUnavailable(QUEUED, true);
		}
	}

	/** Answers a request that arrived on a kept-alive connection after shutdown began. */
	void refuseShuttingDown() {
		if (end(QUEUED, -1, -1, REFUSED) == QUEUED) {
			answerUnavailable(QUEUED, false);
		}
	}

	boolean isEnded() {
		return this.state.get() >= DONE;
	}

	/** Whether the server ended the request (answered it 503, or dropped it) rather than the application. */
	boolean isAnsweredByServer() {
		return this.state.get() > DONE;
	}

	/**
	 * Moves the request from one of up to three states to an ending one.
	 * @return the state it was in, or -1 if it was in none of them (it had already ended)
	 */
	private int end(int first, int second, int third, int ending) {
		int current;
		do {
			current = this.state.get();
			if (current != first && current != second && current != third) {
				return -1;
			}
		}
		while (!this.state.compareAndSet(current, ending));
		if (current == QUEUED) {
			Worker worker = this.worker;
			if (worker != null) {
				worker.queuedRequestEnded(this);
			}
		}
		releaseReservation();
		return current;
	}

	/**
	 * Answers 503 on the connection's event loop, the only thread that may write to it: through
	 * reactor-netty when the application never saw the request; as a response of our own, on a
	 * connection then closed, when the application may still be changing its headers; or by
	 * closing the connection when the application's answer had begun.
	 */
	private void answerUnavailable(int previous, boolean retryLater) {
		this.subscriber.dispose();
		Channel channel = channel();
		EventLoop eventLoop = this.eventLoop;
		if (channel == null || eventLoop == null) {
			respondUnavailable(retryLater);
			return;
		}
		Runnable answer = () -> {
			if (previous == QUEUED) {
				respondUnavailable(retryLater);
			}
			else if (previous == RUNNING) {
				UnavailableResponse.writeAndClose(channel);
			}
			else {
				channel.close();
			}
		};
		if (eventLoop.inEventLoop()) {
			answer.run();
		}
		else {
			try {
				eventLoop.execute(answer);
			}
			catch (RejectedExecutionException ex) {
				// The event loops have stopped, and the connection is gone with them.
			}
		}
	}

	private void respondUnavailable(boolean retryLater) {
		this.response.responseHeaders().clear();
		if (retryLater) {
			this.outcomes.retryAfter().ifPresent((seconds) -> this.response.header("Retry-After", seconds));
		}
		else {
			this.response.keepAlive(false);
		}
		respondEmpty(HttpResponseStatus.SERVICE_UNAVAILABLE);
	}

	private void respondEmpty(HttpResponseStatus status) {
		this.response.status(status).header("Content-Length", "0");
		this.sink.success();
	}

	private void responseEnded() {
		this.responseEnded = true;
		finishIfDone();
	}

	private void finishIfDone() {
		if (!isEnded() || !this.responseEnded) {
			return;
		}
		if (this.runners.isHeld()) {
			return;
		}
		AccessLog accessLog = this.accessLog;
		if (accessLog != null && LOGGED.compareAndSet(this, 0, 1)) {
			// Before the worker hears of it: whoever waits for in-flight to reach 0 finds the line.
			accessLog.log(this::accessLogEntry);
			Channel channel = channel();
			if (channel != null) {
				channel.attr(ANSWERING).compareAndSet(this, null); // an idle connection holds no request
			}
		}
		Worker worker = this.worker;
		if (worker != null && this.finished.compareAndSet(false, true)) {
			worker.requestFinished(this);
		}
	}

	private AccessLogEntry accessLogEntry() {
		int state = this.state.get();
		Worker worker = this.worker;
		int workerId = (worker == null || state == REFUSED) ? AccessLogEntry.NO_WORKER : worker.getId();
		HttpHeaders requestHeaders = this.request.requestHeaders();
		HttpHeaders responseHeaders = this.response.responseHeaders();
		// The application writes a HEAD response's body as for a GET; reactor-netty sends none of it.
		long bytes = HttpMethod.HEAD.equals(this.request.method()) ? 0 : this.bodyBytes;
		return new AccessLogEntry(this.request.remoteAddress(), this.request.method().name(), this.request.uri(),
				this.request.protocol(), loggedStatus(state), bytes, System.nanoTime() - this.admittedNanos, workerId,
				requestHeaders::get, responseHeaders::get);
	}

	/**
	 * The status the client got: the one the connection saw go out where the response does not
	 * know it, the application's once its answer began (a stream cut short keeps the status it was
	 * sent with), else the server's own 503, or 499 when the client left first.
	 */
	private int loggedStatus(int state) {
		int sent = this.statusSent;
		if (sent != 0) {
			return sent;
		}
		if (state == DONE || this.committed) {
			return this.response.status().code();
		}
		return (state == CANCELLED) ? CLIENT_CLOSED_REQUEST : HttpResponseStatus.SERVICE_UNAVAILABLE.code();
	}

	private void runPreRequestHooks(Worker worker) {
		if (this.hooks.isEmpty()) {
			return;
		}
		RequestHook.Request request = new RequestHook.Request(worker.getId(), this.request.method().name(),
				this.request.fullPath());
		this.hookRequest = request;
		for (RequestHook hook : this.hooks) {
			try {
				hook.preRequest(request);
			}
			catch (RuntimeException ex) {
				logger.warn("Request hook " + hook + " failed in preRequest", ex);
			}
		}
	}

	/** Only requests whose preRequest hooks ran get postRequest, so that hooks see pairs. */
	private void runPostRequestHooks(int status) {
		RequestHook.Request request = this.hookRequest;
		if (request == null) {
			return;
		}
		Duration elapsed = Duration.ofNanos(System.nanoTime() - this.admittedNanos);
		for (RequestHook hook : this.hooks) {
			try {
				hook.postRequest(request, status, elapsed);
			}
			catch (RuntimeException ex) {
				logger.warn("Request hook " + hook + " failed in postRequest", ex);
			}
		}
	}

	private boolean isClientConnected() {
		Channel channel = channel();
		return channel == null || channel.isActive();
	}

	private void closeConnection() {
		Channel channel = channel();
		if (channel != null) {
			channel.close();
		}
	}

	private @Nullable Channel channel() {
		return (this.request instanceof Connection connection) ? connection.channel() : null;
	}

	private static String names(List<Thread> threads) {
		return String.join(", ", threads.stream().map(Thread::getName).toList());
	}

	/** Subscribes to the application's handler; disposable before it has even subscribed. */
	private final class HandlerSubscriber extends BaseSubscriber<Void> {

		@Override
		protected void hookOnSubscribe(Subscription subscription) {
			subscription.request(Long.MAX_VALUE);
		}

		@Override
		protected void hookOnComplete() {
			completed(null);
		}

		@Override
		protected void hookOnError(Throwable error) {
			completed(error);
		}

	}

}
