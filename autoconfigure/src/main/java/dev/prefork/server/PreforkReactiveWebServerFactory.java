package dev.prefork.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.netty.channel.ChannelOption;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.http.HttpHeaderNames;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.web.server.Compression;
import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.reactive.AbstractReactiveWebServerFactory;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.util.Assert;
import org.springframework.util.StringUtils;

/**
 * Creates {@link PreforkWebServer}s. Boot's own settings ({@code server.port},
 * {@code server.address}, {@code server.shutdown}, {@code server.ssl.*},
 * {@code server.compression.*}, {@code server.http2.enabled}) arrive through the inherited
 * setters; Prefork's through the setters declared here.
 */
public class PreforkReactiveWebServerFactory extends AbstractReactiveWebServerFactory {

	private final ServerSettings.Builder settings = ServerSettings.builder();

	private @Nullable Duration lifecycleTimeout;

	private WorkerInitializer workerInitializer = WorkerInitializer.NONE;

	private Consumer<String> haltListener = (reason) -> {
	};

	private final List<ArbiterListener> arbiterListeners = new ArrayList<>();

	private final List<RequestHook> requestHooks = new ArrayList<>();

	private boolean useForwardHeaders;

	/** Needed by Boot to create a management server of the same kind. */
	public PreforkReactiveWebServerFactory() {
	}

	public PreforkReactiveWebServerFactory(int port) {
		super(port);
	}

	@Override
	public WebServer getWebServer(HttpHandler httpHandler) {
		ServerSettings settings = getSettings();
		AccessLog accessLog = settings.accessLog();
		ReactorHttpHandlerAdapter adapter = new ReactorHttpHandlerAdapter(new WorkerBoundHttpHandler(httpHandler));
		String serverHeader = getServerHeader();
		BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> handler = (serverHeader != null)
				? (request, response) -> adapter.apply(request, response.header(HttpHeaderNames.SERVER, serverHeader))
				: adapter;
		Http2StreamBudget streams = new Http2StreamBudget((long) settings.workers()
				* Worker.admitted(settings.threads(), settings.queueCapacity(), settings.maxInFlight()));
		return new PreforkWebServer(createHttpServer(settings, accessLog, streams), endpoint(), handler, settings,
				accessLog, streams, getShutdown(), this.lifecycleTimeout, this.workerInitializer, this.haltListener,
				this.arbiterListeners, this.requestHooks);
	}

	/** The settings a server created now would run with. */
	public ServerSettings getSettings() {
		return this.settings.build();
	}

	private HttpServer createHttpServer(ServerSettings settings, @Nullable AccessLog accessLog,
			Http2StreamBudget streams) {
		HttpServer server = HttpServer.create()
			.bindAddress(this::getListenAddress)
			.option(ChannelOption.SO_BACKLOG, settings.backlog())
			.httpRequestDecoder((spec) -> spec.maxInitialLineLength(settings.limitRequestLine())
				.maxHeaderSize(settings.maxHeaderSectionSize())
				.validateHeaders(true))
			.http2Settings((spec) -> spec.maxHeaderListSize(settings.http2MaxHeaderListSize())
				.maxConcurrentStreams(streams.initialShare()))
			.doOnChannelInit((observer, channel, remoteAddress) -> ProtocolGuards.install(channel, settings,
					accessLog, streams));
		if (this.useForwardHeaders) {
			// As Boot's Netty server: Forwarded and X-Forwarded-* give the request its scheme,
			// host, port and client address.
			server = server.forwarded(true);
		}
		if (settings.keepAlive().isZero()) {
			// gunicorn's keepalive=0: one request per connection, and a silent new connection
			// gets no longer than a client has to send its request head.
			server = server.maxKeepAliveRequests(1).idleTimeout(settings.headerTimeout());
		}
		else {
			server = server.idleTimeout(settings.keepAlive());
		}
		Ssl ssl = getSsl();
		if (Ssl.isEnabled(ssl)) {
			server = secure(server, ssl);
		}
		Compression compression = getCompression();
		if (compression != null && compression.getEnabled()) {
			server = compress(server, compression);
		}
		return server.protocol(listProtocols());
	}

	private HttpServer secure(HttpServer server, Ssl ssl) {
		TlsContexts contexts = new TlsContexts(getHttp2() != null && getHttp2().isEnabled(), ssl.getClientAuth(),
				getSslBundle(), getServerNameSslBundles());
		reloadOnUpdate(ssl.getBundle(), null, contexts);
		ssl.getServerNameBundles()
			.forEach((named) -> reloadOnUpdate(named.bundle(), named.serverName(), contexts));
		return contexts.secure(server);
	}

	private void reloadOnUpdate(@Nullable String bundleName, @Nullable String serverName, TlsContexts contexts) {
		SslBundles bundles = getSslBundles();
		if (StringUtils.hasText(bundleName) && bundles != null) {
			bundles.addBundleUpdateHandler(bundleName, (bundle) -> contexts.update(serverName, bundle));
		}
	}

	private HttpServer compress(HttpServer server, Compression compression) {
		return new CompressionCustomizer(compression).apply(server);
	}

	private PreforkWebServer.Endpoint endpoint() {
		String protocols = String.join(" and ", Arrays.stream(listProtocols())
			.map((protocol) -> (protocol == HttpProtocol.HTTP11) ? "HTTP/1.1" : protocol.name().toLowerCase(Locale.ROOT))
			.toList());
		return new PreforkWebServer.Endpoint(Ssl.isEnabled(getSsl()) ? "https" : "http", protocols);
	}

	private HttpProtocol[] listProtocols() {
		List<HttpProtocol> protocols = new ArrayList<>(List.of(HttpProtocol.HTTP11));
		if (getHttp2() != null && getHttp2().isEnabled()) {
			protocols.add(Ssl.isEnabled(getSsl()) ? HttpProtocol.H2 : HttpProtocol.H2C);
		}
		return protocols.toArray(HttpProtocol[]::new);
	}

	private InetSocketAddress getListenAddress() {
		return (getAddress() != null) ? new InetSocketAddress(getAddress().getHostAddress(), getPort())
				: new InetSocketAddress(getPort());
	}

	/**
	 * Whether requests take their scheme, host, port and client address from {@code Forwarded}
	 * and {@code X-Forwarded-*} headers, as Boot's {@code server.forward-headers-strategy=native}.
	 * @param useForwardHeaders whether to
	 */
	public void setUseForwardHeaders(boolean useForwardHeaders) {
		this.useForwardHeaders = useForwardHeaders;
	}

	/** Workers to keep running; see {@link ServerSettings#workers()}. */
	public void setWorkers(int workers) {
		this.settings.workers(workers);
	}

	public void setThreads(int threads) {
		this.settings.threads(threads);
	}

	/**
	 * Runs application code on virtual threads, {@code threads} of them per worker; needs Java 21.
	 * @param virtualThreads whether to
	 */
	public void setVirtualThreads(boolean virtualThreads) {
		this.settings.virtualThreads(virtualThreads);
	}

	public void setQueueCapacity(int queueCapacity) {
		this.settings.queueCapacity(queueCapacity);
	}

	/**
	 * Requests one worker may have admitted whose answer has not started; {@code null} for threads
	 * plus queue capacity.
	 */
	public void setMaxInFlight(@Nullable Integer maxInFlight) {
		this.settings.maxInFlight(maxInFlight);
	}

	public void setBacklog(int backlog) {
		this.settings.backlog(backlog);
	}

	public void setIoThreads(int ioThreads) {
		this.settings.ioThreads(ioThreads);
	}

	/** The heartbeat timeout ({@code prefork.timeout}); 0 disables it. */
	public void setTimeout(Duration timeout) {
		this.settings.heartbeatTimeout(timeout);
	}

	public void setRequestTimeout(@Nullable Duration requestTimeout) {
		this.settings.requestTimeout(requestTimeout);
	}

	public void setGracefulTimeout(Duration gracefulTimeout) {
		this.settings.gracefulTimeout(gracefulTimeout);
	}

	public void setMaxRequests(long maxRequests) {
		this.settings.maxRequests(maxRequests);
	}

	public void setMaxRequestsJitter(long maxRequestsJitter) {
		this.settings.maxRequestsJitter(maxRequestsJitter);
	}

	public void setMaxWorkerLifetime(@Nullable Duration maxWorkerLifetime) {
		this.settings.maxWorkerLifetime(maxWorkerLifetime);
	}

	/** Idle time of a keep-alive connection ({@code prefork.keepalive}); 0 closes after each response. */
	public void setKeepAlive(Duration keepAlive) {
		this.settings.keepAlive(keepAlive);
	}

	/** How long a stream may write nothing before its connection is closed; 0 never closes one. */
	public void setStreamIdleTimeout(Duration streamIdleTimeout) {
		this.settings.streamIdleTimeout(streamIdleTimeout);
	}

	public void setHeaderTimeout(Duration headerTimeout) {
		this.settings.headerTimeout(headerTimeout);
	}

	public void setLimitRequestLine(int limitRequestLine) {
		this.settings.limitRequestLine(limitRequestLine);
	}

	public void setLimitRequestFields(int limitRequestFields) {
		this.settings.limitRequestFields(limitRequestFields);
	}

	public void setLimitRequestFieldSize(int limitRequestFieldSize) {
		this.settings.limitRequestFieldSize(limitRequestFieldSize);
	}

	/**
	 * Bytes a request's whole header section may take (Boot's
	 * {@code server.max-http-request-header-size}); {@code null} derives it from the field limits.
	 */
	public void setHeaderSectionLimit(@Nullable Integer headerSectionLimit) {
		this.settings.headerSectionLimit(headerSectionLimit);
	}

	/** Retry-After sent with 503s refused for overload; 0 omits the header. */
	public void setRetryAfter(Duration retryAfter) {
		this.settings.retryAfter(retryAfter);
	}

	public void setExceptionCapacity(int exceptionCapacity) {
		this.settings.exceptionCapacity(exceptionCapacity);
	}

	/**
	 * Serves requests whose path starts with this prefix (typically the actuator's base path) on a
	 * small management lane of their own, so that probes and the actuator answer even when every
	 * worker is saturated; {@code null} serves them like any other request.
	 */
	public void setManagementPathPrefix(@Nullable String managementPathPrefix) {
		this.settings.managementPathPrefix(managementPathPrefix);
	}

	/**
	 * Paths served on the management lane besides those under the
	 * {@linkplain #setManagementPathPrefix prefix}: Boot's health probes on the main port
	 * ({@code /livez}, {@code /readyz}), which must answer when every worker is saturated too.
	 */
	public void setManagementPaths(Collection<String> managementPaths) {
		this.settings.managementPaths(managementPaths);
	}

	/** Threads of the management lane; 0 serves management requests on the workers. */
	public void setManagementThreads(int managementThreads) {
		this.settings.managementThreads(managementThreads);
	}

	/**
	 * Marks the server as the actuator's own ({@code management.server.port}): its threads are
	 * named {@code prefork-mgmt-*} and its log lines say "management server"; it has no
	 * management lane, since every request it serves is a management request.
	 * @param managementServer whether it is
	 */
	public void setManagementServer(boolean managementServer) {
		this.settings.managementServer(managementServer);
	}

	/** Whether every finished request is logged to the {@code dev.prefork.access} category. */
	public void setAccessLogEnabled(boolean accessLogEnabled) {
		this.settings.accessLogEnabled(accessLogEnabled);
	}

	/**
	 * Format of the access log's lines, in gunicorn's notation ({@code %(h)s %(r)s %(s)s ...}).
	 * @throws InvalidSettingException for an unknown atom or a malformed format
	 */
	public void setAccessLogFormat(String accessLogFormat) {
		this.settings.accessLogFormat(accessLogFormat);
	}

	/**
	 * Makes the server a worker of a process arbiter (process mode): it serves on the listening
	 * socket the arbiter hands over instead of binding one, tells the arbiter when it is ready and
	 * how it progresses, and stops if the arbiter goes; {@code null} for thread mode.
	 */
	public void setProcessWorker(@Nullable ProcessWorker processWorker) {
		this.settings.processWorker(processWorker);
	}

	/**
	 * Serves on a listening socket handed over (process mode's management server, on the socket
	 * the arbiter shares) instead of binding {@code port}; {@code null} binds as usual.
	 */
	public void setInheritedListener(@Nullable Supplier<FileDescriptor> inheritedListener) {
		this.settings.inheritedListener(inheritedListener);
	}

	public void setLifecycleTimeout(@Nullable Duration lifecycleTimeout) {
		this.lifecycleTimeout = lifecycleTimeout;
	}

	public void setWorkerInitializer(WorkerInitializer workerInitializer) {
		Assert.notNull(workerInitializer, "'workerInitializer' must not be null");
		this.workerInitializer = workerInitializer;
	}

	/** Called (on a separate thread) after the arbiter halted the server because of a crash loop. */
	public void setHaltListener(Consumer<String> haltListener) {
		Assert.notNull(haltListener, "'haltListener' must not be null");
		this.haltListener = haltListener;
	}

	/** Adds listeners told when workers boot, retire and exit. */
	public void addArbiterListeners(ArbiterListener... listeners) {
		this.arbiterListeners.addAll(Arrays.asList(listeners));
	}

	/** Adds hooks run around every request (gunicorn's pre_request and post_request). */
	public void addRequestHooks(RequestHook... hooks) {
		this.requestHooks.addAll(Arrays.asList(hooks));
	}

}
