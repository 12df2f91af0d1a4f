package dev.prefork.server;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * One request on its way through a worker. Its state decides, exactly once, how the request
 * ends: served, timed out, aborted with its worker, or cancelled because the client went away.
 * Only a request still queued or running can be ended, so every request is answered once and
 * counted once.
 */
final class RequestTask implements Runnable {

	private static final Log logger = LogFactory.getLog(RequestTask.class);

	private static final ThreadLocal<RequestTask> CURRENT = new ThreadLocal<>();

	private static final int QUEUED = 0;

	private static final int RUNNING = 1;

	private static final int DONE = 2;

	private static final int TIMED_OUT = 3;

	private static final int ABORTED = 4;

	private static final int CANCELLED = 5;

	/** Status given to post-request hooks for a request whose client left (nginx's convention). */
	private static final int CLIENT_CLOSED_REQUEST = 499;

	private final HttpServerRequest request;

	private final HttpServerResponse response;

	private final BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>> handler;

	private final MonoSink<Void> sink;

	private final RequestOutcomes outcomes;

	private final List<RequestHook> hooks;

	private final long admittedNanos = System.nanoTime();

	private volatile RequestHook.Request hookRequest;

	private final AtomicInteger state = new AtomicInteger(QUEUED);

	private final Executor continuations = this::executeContinuation;

	private volatile Worker worker;

	private volatile Disposable subscription;

	private Thread runner; // guarded by this: the thread now running this request's code

	RequestTask(HttpServerRequest request, HttpServerResponse response,
			BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>> handler,
			MonoSink<Void> sink, RequestOutcomes outcomes, List<RequestHook> hooks) {
		this.request = request;
		this.response = response;
		this.handler = handler;
		this.sink = sink;
		this.outcomes = outcomes;
		this.hooks = hooks;
	}

	/** The request whose code the calling thread is running, or {@code null}. */
	static RequestTask current() {
		return CURRENT.get();
	}

	void assignTo(Worker worker) {
		this.worker = worker;
	}

	Worker worker() {
		return this.worker;
	}

	HttpServerRequest request() {
		return this.request;
	}

	/** Runs further work of this request (request-body chunks) on the worker that took it. */
	Executor continuations() {
		return this.continuations;
	}

	@Override
	public void run() {
		Worker worker = this.worker;
		worker.requestDequeued();
		if (!this.state.compareAndSet(QUEUED, RUNNING)) {
			return;
		}
		if (!isClientConnected()) {
			if (end(RUNNING, CANCELLED)) {
				this.outcomes.clientGone();
				worker.requestEndedAs(Worker.Outcome.CLIENT_GONE);
				this.sink.success();
			}
			return;
		}
		worker.requestStarted();
		enter();
		runPreRequestHooks(worker);
		try {
			Publisher<Void> publisher = this.handler.apply(this.request, this.response);
			this.subscription = Mono.from(publisher)
				.contextWrite(this.sink.contextView())
				.subscribe(null, this::completed, () -> completed(null));
		}
		catch (Throwable ex) {
			completed(ex);
		}
		finally {
			exit();
		}
	}

	private void executeContinuation(Runnable continuation) {
		this.worker.execute(() -> {
			enter();
			try {
				continuation.run();
			}
			finally {
				exit();
			}
		});
	}

	private void enter() {
		synchronized (this) {
			this.runner = Thread.currentThread();
		}
		CURRENT.set(this);
	}

	private void exit() {
		CURRENT.remove();
		synchronized (this) {
			this.runner = null;
		}
		if (this.state.get() == TIMED_OUT || this.state.get() == ABORTED) {
			// The interrupt was meant for this request only; do not let it hit the next one.
			Thread.interrupted();
		}
	}

	private void completed(Throwable error) {
		if (!end(RUNNING, DONE)) {
			return;
		}
		Worker worker = this.worker;
		if (error == null) {
			int status = this.response.status().code();
			worker.requestEndedAs((status < 400) ? Worker.Outcome.SUCCESS
					: (status < 500) ? Worker.Outcome.CLIENT_ERROR : Worker.Outcome.SERVER_ERROR);
			runPostRequestHooks(status);
		}
		else {
			worker.requestEndedAs(Worker.Outcome.SERVER_ERROR);
			runPostRequestHooks(500);
			this.outcomes.exception(error, worker, Thread.currentThread(), this.request);
			logger.error("Error on worker " + worker.getId() + " for " + this.request.method() + " "
					+ this.request.fullPath(), error);
			if (!this.response.hasSentHeaders()) {
				respondEmpty(HttpResponseStatus.INTERNAL_SERVER_ERROR);
				return;
			}
			closeConnection();
		}
		this.sink.success();
	}

	/**
	 * Whether the request has been running (queueing included) for longer than {@code timeoutNanos}.
	 * The arbiter asks on every tick: a per-request timer on the event loop would cost a schedule and
	 * a cross-thread cancel per request, which under load starved the event loops of accepts.
	 */
	boolean isOverdue(long nowNanos, long timeoutNanos) {
		return nowNanos - this.admittedNanos > timeoutNanos && !isEnded();
	}

	/** Ends the request as timed out: answered 503, its thread interrupted. */
	void timeOut(long gracefulNanos) {
		Channel channel = channel();
		if (channel != null) {
			timedOut(channel, gracefulNanos);
		}
	}

	private void timedOut(Channel channel, long gracefulNanos) {
		if (!end(QUEUED, TIMED_OUT) && !end(RUNNING, TIMED_OUT)) {
			return;
		}
		Worker worker = this.worker;
		worker.requestTimedOut();
		worker.requestEndedAs(Worker.Outcome.TIMEOUT);
		this.outcomes.requestTimedOut();
		runPostRequestHooks(503);
		// Answer first: once interrupted, the handler's own error handling could answer 500 before us.
		respondUnavailable(false);
		Thread stuck = interruptRunner();
		logger.warn("Request " + this.request.method() + " " + this.request.fullPath() + " on worker " + worker.getId()
				+ " timed out" + ((stuck != null) ? ", interrupting " + stuck.getName() : ""));
		if (stuck != null) {
			channel.eventLoop().schedule(() -> checkAbandoned(stuck), gracefulNanos, TimeUnit.NANOSECONDS);
		}
	}

	private void checkAbandoned(Thread stuck) {
		synchronized (this) {
			if (this.runner != stuck) {
				return;
			}
		}
		logger.error("Thread " + stuck.getName() + " did not return from a timed-out request; abandoning it");
		this.worker.threadAbandoned(stuck);
	}

	/** Ends the request because its worker was aborted (heartbeat timeout or shutdown). */
	void abort(String reason) {
		if (!end(QUEUED, ABORTED) && !end(RUNNING, ABORTED)) {
			return;
		}
		this.worker.requestEndedAs(Worker.Outcome.ABORTED);
		runPostRequestHooks(503);
		respondUnavailable(false); // before the interrupt, for the same reason as a timeout
		interruptRunner();
		logger.debug("Request " + this.request.method() + " " + this.request.fullPath() + " aborted: " + reason);
	}

	/** The client went away: a queued request is dropped before it runs, a running one is cancelled. */
	void cancel() {
		if (end(QUEUED, CANCELLED) || end(RUNNING, CANCELLED)) {
			this.outcomes.clientGone();
			this.worker.requestEndedAs(Worker.Outcome.CLIENT_GONE);
			runPostRequestHooks(CLIENT_CLOSED_REQUEST);
			disposeSubscription();
		}
	}

	/** Answers a request that no worker would take. */
	void reject() {
		if (end(QUEUED, ABORTED)) {
			this.outcomes.rejected();
			respondUnavailable(true);
		}
	}

	/** Answers a request that arrived on a kept-alive connection after shutdown began. */
	void refuseShuttingDown() {
		if (end(QUEUED, ABORTED)) {
			respondUnavailable(false);
		}
	}

	private void runPreRequestHooks(Worker worker) {
		if (this.hooks.isEmpty()) {
			return;
		}
		this.hookRequest = new RequestHook.Request(worker.getId(), this.request.method().name(),
				this.request.fullPath());
		for (RequestHook hook : this.hooks) {
			try {
				hook.preRequest(this.hookRequest);
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

	private Thread interruptRunner() {
		synchronized (this) {
			Thread thread = this.runner;
			if (thread != null) {
				thread.interrupt();
			}
			return thread;
		}
	}

	private boolean end(int expected, int outcome) {
		if (!this.state.compareAndSet(expected, outcome)) {
			return false;
		}
		Worker worker = this.worker;
		if (worker != null) {
			worker.requestEnded(this);
		}
		return true;
	}

	boolean isEnded() {
		return this.state.get() > RUNNING;
	}

	private void respondUnavailable(boolean retryLater) {
		disposeSubscription();
		if (this.response.hasSentHeaders()) {
			closeConnection();
			this.sink.success();
			return;
		}
		this.response.responseHeaders().clear();
		if (retryLater) {
			this.outcomes.retryAfter().ifPresent((seconds) -> this.response.header(HttpHeaderNames.RETRY_AFTER, seconds));
		}
		else {
			this.response.keepAlive(false);
		}
		respondEmpty(HttpResponseStatus.SERVICE_UNAVAILABLE);
	}

	private void respondEmpty(HttpResponseStatus status) {
		this.response.status(status).header(HttpHeaderNames.CONTENT_LENGTH, "0");
		this.sink.success();
	}

	private void disposeSubscription() {
		Disposable subscription = this.subscription;
		if (subscription != null) {
			subscription.dispose();
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

	private Channel channel() {
		return (this.request instanceof Connection connection) ? connection.channel() : null;
	}

}
