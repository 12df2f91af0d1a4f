package dev.prefork.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.netty.channel.unix.FileDescriptor;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.resources.LoopResources;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.boot.web.server.GracefulShutdownCallback;
import org.springframework.boot.web.server.GracefulShutdownResult;
import org.springframework.boot.web.server.Shutdown;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.WebServerException;

import dev.prefork.process.ArbiterConnection;
import dev.prefork.process.Counted;
import dev.prefork.process.Heartbeat;
import dev.prefork.process.ProcessView;
import dev.prefork.process.Scoreboard;

/**
 * A {@link WebServer} made of reactor-netty event loops that only do I/O and an {@link Arbiter}
 * whose workers run the application. Created by {@link PreforkReactiveWebServerFactory} and driven
 * by Boot's lifecycle ({@code start}, {@code shutDownGracefully}, {@code stop}).
 */
public class PreforkWebServer implements WebServer {

	private static final Log logger = LogFactory.getLog(PreforkWebServer.class);

	private final HttpServer httpServer;

	private final Endpoint endpoint;

	private final ServerSettings settings;

	private final @Nullable Duration lifecycleTimeout;

	private final RequestOutcomes outcomes;

	private final Arbiter arbiter;

	private final RequestDispatcher dispatcher;

	private final GracefulShutdown gracefulShutdown;

	private final Consumer<String> haltListener;

	/** On a socket shared with other worker JVMs: the connections to close safely when leaving. */
	private final @Nullable LeavingConnections leavingConnections;

	private final AcceptQueueProbe acceptQueueProbe = new AcceptQueueProbe(this::getPort);

	private LoopResources loops;

	private volatile DisposableServer disposableServer;

	/** The line to the process arbiter when this JVM is one of its workers. */
	private volatile @Nullable ArbiterConnection arbiterConnection;

	private final List<Consumer<ProcessView>> processViewListeners = new CopyOnWriteArrayList<>();

	/** Process mode: counts and spreads the connections of the shared socket. */
	private volatile @Nullable ConnectionBalancer connections;

	PreforkWebServer(HttpServer httpServer, Endpoint endpoint,
			BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>> handler,
			ServerSettings settings, @Nullable AccessLog accessLog, Http2StreamBudget streams, Shutdown shutdown,
			@Nullable Duration lifecycleTimeout, WorkerInitializer initializer,
			Consumer<String> haltListener, List<ArbiterListener> arbiterListeners, List<RequestHook> requestHooks) {
		this.httpServer = httpServer;
		this.endpoint = endpoint;
		this.settings = settings;
		this.lifecycleTimeout = lifecycleTimeout;
		this.haltListener = haltListener;
		this.outcomes = new RequestOutcomes(settings.exceptionCapacity(), settings.retryAfter());
		WorkerPool pool = new WorkerPool();
		pool.reportCapacityTo(streams::capacityChanged);
		this.arbiter = new Arbiter(settings, initializer, pool, this::halt, arbiterListeners);
		this.dispatcher = new RequestDispatcher(handler, pool, this.arbiter, this.outcomes, requestHooks, settings,
				accessLog);
		// On a socket shared with other worker JVMs (process mode: the application's, or the
		// management server's), leaving means letting the others take the new connections.
		boolean shared = settings.processWorker() != null || settings.inheritedListener() != null;
		this.leavingConnections = shared ? new LeavingConnections() : null;
		this.gracefulShutdown = (shutdown == Shutdown.GRACEFUL)
				? (shared ? new GracefulShutdown(this::drain, this::isDrained)
						: new GracefulShutdown(this::refuseNewWork, this::isIdle))
				: null;
	}

	@Override
	public synchronized void start() throws WebServerException {
		if (this.disposableServer != null) {
			return;
		}
		// Started again after a stop (Boot's restartAfterStop): take requests, and let a later
		// graceful shutdown wait for them, as on the first start.
		this.dispatcher.acceptRequests();
		if (this.gracefulShutdown != null) {
			this.gracefulShutdown.reset();
		}
		this.loops = LoopResources.create(this.settings.threadNamePrefix() + "io", this.settings.ioThreads(), true);
		try {
			this.arbiter.start();
		}
		catch (RuntimeException ex) {
			disposeLoops();
			throw new WebServerException("Prefork could not start: " + ex.getMessage(), ex);
		}
		try {
			HttpServer server = this.httpServer.runOn(loopsFor(this.settings.processWorker())).handle(this.dispatcher);
			LeavingConnections leaving = this.leavingConnections;
			if (leaving != null) {
				server = server.doOnChannelInit((observer, channel, remote) -> leaving.add(channel));
			}
			this.disposableServer = (this.lifecycleTimeout != null) ? server.bindNow(this.lifecycleTimeout)
					: server.bindNow();
		}
		catch (Exception ex) {
			this.arbiter.stop();
			closeArbiterConnection();
			disposeLoops();
			PortInUse.throwIfCausedBy(ex);
			throw new WebServerException("Unable to start Prefork", ex);
		}
		logger.info(startedMessage());
		startAwaitThread(this.disposableServer);
	}

	/**
	 * In process mode, once the whole application is ready (not only its server: a runner that
	 * fails is a failed boot), starts taking connections from the sockets the process arbiter
	 * shares (the management server's too), tells the arbiter that this worker JVM is ready, and
	 * starts the heartbeat. Does nothing in thread mode.
	 */
	public void reportReady() {
		ArbiterConnection connection = this.arbiterConnection;
		if (connection != null) {
			// Booting leaves tens of megabytes of garbage in a heap sized for it; one collection
			// before the first request gives them back (a third of a fresh worker JVM's private
			// memory, measured), which is what process mode pays per worker. No client waits on it.
			System.gc();
			InheritedListenerLoops.startAcceptingEverywhere();
			connection.ready(this::heartbeat);
		}
	}

	/**
	 * In process mode, Spring has this worker JVM refusing traffic (its context closing, or the
	 * application saying so): it takes no new connection from the sockets the process arbiter
	 * shares, and the other worker JVMs take them, until {@link #acceptingTraffic()}. Does nothing
	 * in thread mode.
	 */
	public void refusingTraffic() {
		if (this.arbiterConnection != null) {
			InheritedListenerLoops.pauseAccepting();
		}
	}

	/** In process mode, Spring has this worker JVM accepting traffic again; see {@link #refusingTraffic()}. */
	public void acceptingTraffic() {
		if (this.arbiterConnection != null) {
			InheritedListenerLoops.resumeAccepting();
		}
	}

	/**
	 * The event loops to serve on: in process mode, loops that serve on the listening socket the
	 * process arbiter hands over, asked for here so that a worker that cannot get it fails to start.
	 */
	private LoopResources loopsFor(@Nullable ProcessWorker worker) throws IOException {
		Supplier<FileDescriptor> inherited = this.settings.inheritedListener();
		if (inherited != null) {
			return new InheritedListenerLoops(this.loops, inherited.get(), null);
		}
		if (worker == null) {
			return this.loops;
		}
		ArbiterConnection connection = ArbiterConnection.connect(worker.controlSocket(), worker.id(),
				worker.sharesManagementSocket() ? 2 : 1, Duration.ofSeconds(30),
				() -> halt("the process arbiter is gone"), this::publishView);
		this.arbiterConnection = connection;
		Scoreboard scoreboard = (worker.scoreboard() != null) ? Scoreboard.open(worker.scoreboard()) : null;
		InheritedListenerLoops.acceptOnlyOnceReady();
		InheritedListenerLoops.stopAcceptingOnShutdown();
		this.connections = new ConnectionBalancer(scoreboard, worker.slot(), this::saturated,
				this.arbiter::getTotalRequests);
		return new InheritedListenerLoops(this.loops, connection.listening(0), this.connections);
	}

	/** Every request thread busy. */
	private boolean saturated() {
		List<Worker> workers = this.arbiter.getWorkers();
		return workers.stream().mapToInt(Worker::getBusyThreads).sum() >= workers.stream()
			.mapToInt(Worker::getThreads)
			.sum();
	}

	/**
	 * In process mode with a management port, the management server's listening socket the
	 * arbiter shares; {@code null} otherwise.
	 */
	public @Nullable FileDescriptor getManagementSocket() {
		ArbiterConnection connection = this.arbiterConnection;
		ProcessWorker worker = this.settings.processWorker();
		return (connection != null && worker != null && worker.sharesManagementSocket()) ? connection.listening(1)
				: null;
	}

	/** What this worker JVM tells the process arbiter every second. */
	private Heartbeat heartbeat() {
		List<Worker> workers = this.arbiter.getWorkers();
		return new Heartbeat(workers.stream().mapToInt(Worker::getThreads).sum(),
				workers.stream().mapToInt(Worker::getBusyThreads).sum(), this.arbiter.getTotalRequests(),
				this.arbiter.getInFlight(), (this.connections != null) ? this.connections.count() : 0,
				workers.stream().mapToInt(Worker::getQueued).sum(), (int) Math.round(this.arbiter.getSaturation() * 1000),
				getRequestOutcomes().getRecentExceptions().total());
	}

	/**
	 * In process mode, the arbiter's latest view of every worker JVM (totals included), or
	 * {@code null}: in thread mode, or before the first one came.
	 */
	public @Nullable ProcessView getProcessView() {
		ArbiterConnection connection = this.arbiterConnection;
		return (connection != null) ? connection.view() : null;
	}

	/**
	 * In process mode, relays an operator's request to the process arbiter: {@code restart}
	 * (every worker JVM, one at a time), {@code scale <n>}, {@code scale-by <change>} or
	 * {@code recycle <id>}.
	 * @return whether there is an arbiter to relay it to
	 */
	public boolean askProcessArbiter(String request) {
		ArbiterConnection connection = this.arbiterConnection;
		if (connection == null) {
			return false;
		}
		connection.request(request);
		return true;
	}

	/** Whether this JVM is a worker of a process arbiter (process mode). */
	public boolean isProcessWorker() {
		return this.settings.processWorker() != null;
	}

	/**
	 * Calls {@code listener} with each view of the server the process arbiter sends (every
	 * second, on the arbiter line's thread); never in thread mode.
	 */
	public void addProcessViewListener(Consumer<ProcessView> listener) {
		this.processViewListeners.add(listener);
	}

	private void publishView(ProcessView view) {
		for (Consumer<ProcessView> listener : this.processViewListeners) {
			try {
				listener.accept(view);
			}
			catch (RuntimeException ex) {
				logger.warn("Process view listener " + listener + " failed", ex);
			}
		}
	}

	private void closeArbiterConnection() {
		ArbiterConnection connection = this.arbiterConnection;
		this.arbiterConnection = null;
		if (connection != null) {
			connection.close();
		}
	}

	/**
	 * Boot's "started on port N (scheme)", then what an operator checks first: where it listens,
	 * which protocols, the mode (workers as thread pools in this JVM), how many workers of how
	 * many threads, and the bounds of each.
	 */
	private String startedMessage() {
		ServerSettings settings = this.settings;
		String address = (this.disposableServer.address() instanceof InetSocketAddress socket)
				? (socket.getAddress().isAnyLocalAddress() ? "every address" : socket.getAddress().getHostAddress())
				: "?";
		Duration requestTimeout = settings.requestTimeout();
		return settings.displayName() + " started on port " + getPort() + " (" + this.endpoint.scheme() + ") at " + address + ", "
				+ this.endpoint.protocols() + ", thread mode: " + Counted.of(settings.workers(), "worker") + " x "
				+ Counted.of(settings.threads(), settings.virtualThreads() ? "virtual thread" : "thread")
				+ ", queue " + settings.queueCapacity()
				+ ", max-in-flight " + settings.maxInFlight() + ", timeout " + asWritten(settings.heartbeatTimeout())
				+ ", request-timeout " + ((requestTimeout != null) ? asWritten(requestTimeout) : "none")
				+ ", graceful-timeout " + asWritten(settings.gracefulTimeout());
	}

	/** As written in application.yml: {@code 30s}, or {@code 250ms} when not whole seconds. */
	private static String asWritten(Duration duration) {
		return (duration.toMillis() % 1000 == 0) ? DurationStyle.SIMPLE.print(duration, ChronoUnit.SECONDS)
				: DurationStyle.SIMPLE.print(duration);
	}

	@Override
	public void shutDownGracefully(GracefulShutdownCallback callback) {
		if (this.gracefulShutdown == null) {
			callback.shutdownComplete(GracefulShutdownResult.IMMEDIATE);
			return;
		}
		this.gracefulShutdown.shutDownGracefully(callback);
	}

	@Override
	public synchronized void stop() throws WebServerException {
		if (this.loops == null) {
			return;
		}
		if (this.gracefulShutdown != null) {
			this.gracefulShutdown.abort();
		}
		refuseNewWork();
		this.arbiter.stop();
		DisposableServer server = this.disposableServer;
		if (server != null) {
			try {
				server.disposeNow(Duration.ofSeconds(5));
			}
			catch (IllegalStateException ex) {
				// Timed out closing connections: the event loops are shut down next anyway.
			}
		}
		closeArbiterConnection();
		disposeLoops();
		this.disposableServer = null;
	}

	@Override
	public int getPort() {
		DisposableServer server = this.disposableServer;
		if (server == null) {
			return -1;
		}
		try {
			return server.port();
		}
		catch (UnsupportedOperationException ex) {
			return -1;
		}
	}

	/** The arbiter that supervises this server's workers. */
	public Arbiter getArbiter() {
		return this.arbiter;
	}

	/**
	 * Connections waiting in the kernel's accept queue of the listening socket, or {@code null}
	 * where the platform cannot tell (it is read from {@code /proc/net} on Linux, at most once a
	 * second).
	 */
	public Integer getAcceptQueueLength() {
		return this.acceptQueueProbe.acceptQueueLength();
	}

	/** How requests ended other than normally, and the recent exceptions. */
	public RequestOutcomes getRequestOutcomes() {
		return this.outcomes;
	}

	private void refuseNewWork() {
		this.dispatcher.refuseNewRequests();
		DisposableServer server = this.disposableServer;
		if (server != null) {
			server.channel().close();
		}
		this.arbiter.closeWebSockets();
	}

	/**
	 * A worker JVM of process mode leaving gracefully: it stops accepting (the other workers take
	 * new connections from the shared socket) and serves what comes on its open connections with
	 * {@code Connection: close}, rather than refuse it, and closes the connections between
	 * requests (see {@link LeavingConnections}), so that a recycle or a rolling restart fails no
	 * request.
	 */
	private void drain() {
		this.dispatcher.closeConnectionsAfterResponse();
		DisposableServer server = this.disposableServer;
		if (server != null) {
			server.channel().close();
		}
		this.arbiter.closeWebSockets();
		this.leavingConnections.closeIdle();
	}

	/** Drained: nothing in flight and every HTTP connection closed; else one more sweep of them. */
	private boolean isDrained() {
		if (isIdle() && this.leavingConnections.allClosed()) {
			return true;
		}
		this.leavingConnections.closeIdle();
		return false;
	}

	private boolean isIdle() {
		return this.arbiter.getInFlight() == 0;
	}

	private void halt(String reason) {
		try {
			stop();
		}
		finally {
			this.haltListener.accept(reason);
		}
	}

	private void disposeLoops() {
		if (this.loops != null) {
			this.loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
			this.loops = null;
		}
	}

	private void startAwaitThread(DisposableServer server) {
		// Event loops and workers are daemon threads: this one keeps the JVM alive while serving.
		Thread awaitThread = new Thread(() -> server.onDispose().block(),
				this.settings.threadNamePrefix() + "server");
		awaitThread.setContextClassLoader(getClass().getClassLoader());
		awaitThread.setDaemon(false);
		awaitThread.start();
	}

	/**
	 * How the server is reached, for its started log line.
	 * @param scheme {@code http} or {@code https}
	 * @param protocols the protocols it speaks ({@code HTTP/1.1 and h2c})
	 */
	record Endpoint(String scheme, String protocols) {

	}

}
