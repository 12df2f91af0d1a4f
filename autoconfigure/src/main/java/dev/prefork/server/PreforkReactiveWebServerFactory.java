package dev.prefork.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Mono;
import reactor.netty.NettyPipeline;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

import org.springframework.boot.reactor.netty.SslServerCustomizer;
import org.springframework.boot.web.server.Compression;
import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.reactive.AbstractReactiveWebServerFactory;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.util.Assert;
import org.springframework.util.MimeType;
import org.springframework.util.unit.DataSize;

/**
 * Creates {@link PreforkWebServer}s. Boot's own settings ({@code server.port},
 * {@code server.address}, {@code server.shutdown}, {@code server.ssl.*},
 * {@code server.compression.*}, {@code server.http2.enabled}) arrive through the inherited
 * setters; Prefork's through the setters declared here.
 */
public class PreforkReactiveWebServerFactory extends AbstractReactiveWebServerFactory {

	private int workers = Runtime.getRuntime().availableProcessors();

	private int threads = 8;

	private int queueCapacity = 64;

	private int backlog = 2048;

	private int ioThreads = Runtime.getRuntime().availableProcessors();

	private Duration timeout = Duration.ofSeconds(30);

	private Duration requestTimeout;

	private Duration gracefulTimeout = Duration.ofSeconds(30);

	private long maxRequests;

	private long maxRequestsJitter;

	private Duration maxWorkerLifetime;

	private Duration keepAlive = Duration.ofSeconds(15);

	private Duration headerTimeout = Duration.ofSeconds(20);

	private int limitRequestLine = 4094;

	private int limitRequestFields = 100;

	private int limitRequestFieldSize = 8190;

	private Duration retryAfter = Duration.ofSeconds(1);

	private int exceptionCapacity = 100;

	private String managementPathPrefix;

	private int managementThreads = 1;

	private Duration lifecycleTimeout;

	private WorkerInitializer workerInitializer = WorkerInitializer.NONE;

	private Consumer<String> haltListener = (reason) -> {
	};

	private final List<ArbiterListener> arbiterListeners = new ArrayList<>();

	private final List<RequestHook> requestHooks = new ArrayList<>();

	/** Needed by Boot to create a management server of the same kind. */
	public PreforkReactiveWebServerFactory() {
	}

	public PreforkReactiveWebServerFactory(int port) {
		super(port);
	}

	@Override
	public WebServer getWebServer(HttpHandler httpHandler) {
		ServerSettings settings = new ServerSettings(this.workers, this.threads, this.queueCapacity, this.backlog,
				this.timeout, this.requestTimeout, this.gracefulTimeout, this.maxRequests, this.maxRequestsJitter,
				this.maxWorkerLifetime, this.keepAlive, this.headerTimeout, this.limitRequestLine,
				this.limitRequestFields, this.limitRequestFieldSize, this.retryAfter, this.managementPathPrefix,
				this.managementThreads);
		ReactorHttpHandlerAdapter adapter = new ReactorHttpHandlerAdapter(new WorkerBoundHttpHandler(httpHandler));
		String serverHeader = getServerHeader();
		BiFunction<HttpServerRequest, HttpServerResponse, Mono<Void>> handler = (serverHeader != null)
				? (request, response) -> adapter.apply(request, response.header(HttpHeaderNames.SERVER, serverHeader))
				: adapter;
		return new PreforkWebServer(createHttpServer(), handler, settings, this.ioThreads, this.exceptionCapacity,
				getShutdown(), this.lifecycleTimeout, this.workerInitializer, this.haltListener, this.arbiterListeners,
				this.requestHooks);
	}

	private HttpServer createHttpServer() {
		HttpServer server = HttpServer.create()
			.bindAddress(this::getListenAddress)
			.option(ChannelOption.SO_BACKLOG, this.backlog)
			.idleTimeout(this.keepAlive)
			.httpRequestDecoder((spec) -> spec.maxInitialLineLength(this.limitRequestLine)
				.maxHeaderSize(this.limitRequestFields * (this.limitRequestFieldSize + 2))
				.validateHeaders(true))
			.doOnChannelInit((observer, channel, remoteAddress) -> guard(channel));
		Ssl ssl = getSsl();
		if (Ssl.isEnabled(ssl)) {
			server = new SslServerCustomizer(getHttp2(), ssl.getClientAuth(), getSslBundle(), Map.of()).apply(server);
		}
		Compression compression = getCompression();
		if (compression != null && compression.getEnabled()) {
			server = compress(server, compression);
		}
		return server.protocol(listProtocols());
	}

	private void guard(Channel channel) {
		if (channel.pipeline().get(NettyPipeline.HttpCodec) == null) {
			return; // HTTP/2 streams are framed by the HTTP/2 codec; these HTTP/1 checks do not apply
		}
		HeadTimer headTimer = new HeadTimer(this.headerTimeout.toNanos());
		channel.pipeline().addBefore(NettyPipeline.HttpCodec, "prefork.headTimer", headTimer);
		channel.pipeline()
			.addAfter(NettyPipeline.HttpCodec, "prefork.headGuard",
					new RequestHeadGuard(this.limitRequestFields, this.limitRequestFieldSize, headTimer));
	}

	private HttpServer compress(HttpServer server, Compression compression) {
		DataSize minSize = compression.getMinResponseSize();
		List<MimeType> mimeTypes = Arrays.stream(compression.getMimeTypes()).map(MimeType::valueOf).toList();
		List<String> excludedAgents = (compression.getExcludedUserAgents() != null)
				? Arrays.asList(compression.getExcludedUserAgents()) : List.of();
		return server.compress((request, response) -> {
			String agent = request.requestHeaders().get(HttpHeaderNames.USER_AGENT);
			if (agent != null && excludedAgents.stream().anyMatch(agent::contains)) {
				return false;
			}
			String length = response.responseHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
			if (length != null && Long.parseLong(length) < minSize.toBytes()) {
				return false;
			}
			String type = response.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
			return type != null && mimeTypes.stream().anyMatch((mime) -> mime.isCompatibleWith(MimeType.valueOf(type)));
		});
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

	public void setWorkers(int workers) {
		Assert.isTrue(workers >= 1, "'workers' must be at least 1");
		this.workers = workers;
	}

	public void setThreads(int threads) {
		Assert.isTrue(threads >= 1, "'threads' must be at least 1");
		this.threads = threads;
	}

	public void setQueueCapacity(int queueCapacity) {
		Assert.isTrue(queueCapacity >= 0, "'queueCapacity' must not be negative");
		this.queueCapacity = queueCapacity;
	}

	public void setBacklog(int backlog) {
		Assert.isTrue(backlog >= 1, "'backlog' must be at least 1");
		this.backlog = backlog;
	}

	public void setIoThreads(int ioThreads) {
		Assert.isTrue(ioThreads >= 1, "'ioThreads' must be at least 1");
		this.ioThreads = ioThreads;
	}

	public void setTimeout(Duration timeout) {
		this.timeout = nonNegative(timeout, "timeout");
	}

	public void setRequestTimeout(Duration requestTimeout) {
		this.requestTimeout = (requestTimeout != null) ? nonNegative(requestTimeout, "requestTimeout") : null;
	}

	public void setGracefulTimeout(Duration gracefulTimeout) {
		this.gracefulTimeout = nonNegative(gracefulTimeout, "gracefulTimeout");
	}

	public void setMaxRequests(long maxRequests) {
		Assert.isTrue(maxRequests >= 0, "'maxRequests' must not be negative");
		this.maxRequests = maxRequests;
	}

	public void setMaxRequestsJitter(long maxRequestsJitter) {
		Assert.isTrue(maxRequestsJitter >= 0, "'maxRequestsJitter' must not be negative");
		this.maxRequestsJitter = maxRequestsJitter;
	}

	public void setMaxWorkerLifetime(Duration maxWorkerLifetime) {
		this.maxWorkerLifetime = (maxWorkerLifetime != null) ? nonNegative(maxWorkerLifetime, "maxWorkerLifetime")
				: null;
	}

	public void setKeepAlive(Duration keepAlive) {
		this.keepAlive = nonNegative(keepAlive, "keepAlive");
	}

	public void setHeaderTimeout(Duration headerTimeout) {
		Assert.isTrue(headerTimeout != null && !headerTimeout.isZero(), "'headerTimeout' must be greater than zero");
		this.headerTimeout = nonNegative(headerTimeout, "headerTimeout");
	}

	public void setLimitRequestLine(int limitRequestLine) {
		Assert.isTrue(limitRequestLine >= 16, "'limitRequestLine' must be at least 16");
		this.limitRequestLine = limitRequestLine;
	}

	public void setLimitRequestFields(int limitRequestFields) {
		Assert.isTrue(limitRequestFields >= 1, "'limitRequestFields' must be at least 1");
		this.limitRequestFields = limitRequestFields;
	}

	public void setLimitRequestFieldSize(int limitRequestFieldSize) {
		Assert.isTrue(limitRequestFieldSize >= 16, "'limitRequestFieldSize' must be at least 16");
		this.limitRequestFieldSize = limitRequestFieldSize;
	}

	public void setRetryAfter(Duration retryAfter) {
		this.retryAfter = (retryAfter != null) ? nonNegative(retryAfter, "retryAfter") : null;
	}

	public void setExceptionCapacity(int exceptionCapacity) {
		Assert.isTrue(exceptionCapacity >= 0, "'exceptionCapacity' must not be negative");
		this.exceptionCapacity = exceptionCapacity;
	}

	/**
	 * Serves requests whose path starts with this prefix (typically the actuator's base path) on a
	 * small management lane of their own, so that probes and the actuator answer even when every
	 * worker is saturated; {@code null} serves them like any other request.
	 */
	public void setManagementPathPrefix(String managementPathPrefix) {
		Assert.isTrue(managementPathPrefix == null || managementPathPrefix.startsWith("/"),
				"'managementPathPrefix' must start with '/'");
		String prefix = (managementPathPrefix != null && managementPathPrefix.endsWith("/"))
				? managementPathPrefix.substring(0, managementPathPrefix.length() - 1) : managementPathPrefix;
		this.managementPathPrefix = (prefix == null || prefix.isEmpty()) ? null : prefix; // "/" would be everything
	}

	/** Threads of the management lane; 0 serves management requests on the workers. */
	public void setManagementThreads(int managementThreads) {
		Assert.isTrue(managementThreads >= 0, "'managementThreads' must not be negative");
		this.managementThreads = managementThreads;
	}

	public void setLifecycleTimeout(Duration lifecycleTimeout) {
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

	private static Duration nonNegative(Duration duration, String name) {
		Assert.notNull(duration, () -> "'" + name + "' must not be null");
		Assert.isTrue(!duration.isNegative(), () -> "'" + name + "' must not be negative");
		return duration;
	}

}
