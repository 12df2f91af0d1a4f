package dev.prefork.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import io.netty.channel.Channel;
import io.netty.channel.socket.SocketChannel;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;

import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.HEAD;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;

/**
 * A real Prefork server on a random port, serving a small WebFlux application whose handlers
 * the tests can hold and release. Closing it stops the server.
 */
final class TestServer implements AutoCloseable {

	/** Handlers under {@code /block} wait on this latch until a test releases them. */
	final CountDownLatch release = new CountDownLatch(1);

	/** How many times each path's handler actually ran. */
	final ConcurrentHashMap<String, AtomicInteger> invocations = new ConcurrentHashMap<>();

	final PreforkWebServer server;

	final HttpClient client = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	private TestServer(PreforkWebServer server) {
		this.server = server;
	}

	static TestServer start(Consumer<PreforkReactiveWebServerFactory> customizer) {
		TestServer[] holder = new TestServer[1];
		HttpHandler handler = RouterFunctions.toHttpHandler(routes(holder));
		return start(customizer, handler, holder);
	}

	static TestServer start(Consumer<PreforkReactiveWebServerFactory> customizer, HttpHandler handler) {
		return start(customizer, handler, new TestServer[1]);
	}

	private static TestServer start(Consumer<PreforkReactiveWebServerFactory> customizer, HttpHandler handler,
			TestServer[] holder) {
		PreforkReactiveWebServerFactory factory = new PreforkReactiveWebServerFactory(0);
		factory.setAddress(InetAddress.getLoopbackAddress()); // never listen beyond this machine
		factory.setWorkers(2);
		factory.setThreads(4);
		factory.setIoThreads(2);
		customizer.accept(factory);
		PreforkWebServer server = (PreforkWebServer) factory.getWebServer(handler);
		holder[0] = new TestServer(server);
		server.start();
		return holder[0];
	}

	private static RouterFunction<ServerResponse> routes(TestServer[] self) {
		return RouterFunctions.route(GET("/hello"), (request) -> {
			self[0].count("/hello");
			return ServerResponse.ok().bodyValue("hello");
		}).andRoute(GET("/thread"), (request) -> {
			self[0].count("/thread");
			return ServerResponse.ok().bodyValue(Thread.currentThread().getName());
		}).andRoute(GET("/actuator/thread"), (request) -> {
			self[0].count("/actuator/thread");
			return ServerResponse.ok().bodyValue(Thread.currentThread().getName());
		}).andRoute(GET("/block"), (request) -> {
			self[0].count("/block");
			await(self[0].release);
			return ServerResponse.ok().bodyValue("released");
		}).andRoute(GET("/actuator/block"), (request) -> {
			self[0].count("/actuator/block");
			await(self[0].release);
			return ServerResponse.ok().bodyValue("released");
		}).andRoute(GET("/actuator/stubborn"), (request) -> {
			self[0].count("/actuator/stubborn");
			sleepIgnoringInterrupts(Long.parseLong(request.queryParam("ms").orElse("3000")));
			return ServerResponse.ok().bodyValue("done");
		}).andRoute(GET("/sleep"), (request) -> {
			self[0].count("/sleep");
			sleep(Long.parseLong(request.queryParam("ms").orElse("10")));
			return ServerResponse.ok().bodyValue("slept");
		}).andRoute(GET("/hang"), (request) -> {
			self[0].count("/hang");
			sleep(TimeUnit.HOURS.toMillis(1));
			return ServerResponse.ok().bodyValue("woke");
		}).andRoute(GET("/stubborn"), (request) -> {
			self[0].count("/stubborn");
			sleepIgnoringInterrupts(Long.parseLong(request.queryParam("ms").orElse("3000")));
			return ServerResponse.ok().bodyValue("done");
		}).andRoute(GET("/big").or(HEAD("/big")), (request) -> {
			self[0].count("/big");
			return ServerResponse.ok().bodyValue(new byte[Integer.parseInt(request.queryParam("bytes").orElse("1000"))]);
		}).andRoute(POST("/echo-thread"), (request) -> request.bodyToMono(String.class)
			.map((body) -> body.length() + " bytes decoded on " + Thread.currentThread().getName())
			.flatMap((text) -> ServerResponse.ok().bodyValue(text)))
			.andRoute(GET("/guards"), (request) -> ServerResponse.ok().bodyValue(guards(request)));
	}

	/**
	 * The Prefork handlers in the pipeline of the connection that carries the request (for
	 * HTTP/2, the connection rather than the stream), read on the connection's event loop.
	 */
	private static String guards(ServerRequest request) {
		Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(request.exchange().getRequest());
		Channel channel = ((Connection) nativeRequest).channel();
		Channel connection = (channel.parent() instanceof SocketChannel) ? channel.parent() : channel;
		try {
			return connection.eventLoop()
				.submit(() -> connection.pipeline()
					.names()
					.stream()
					.filter((name) -> name.startsWith("prefork."))
					.collect(Collectors.joining(",")))
				.get(5, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException("could not read the pipeline", ex);
		}
	}

	private void count(String path) {
		this.invocations.computeIfAbsent(path, (key) -> new AtomicInteger()).incrementAndGet();
	}

	int invocations(String path) {
		AtomicInteger count = this.invocations.get(path);
		return (count != null) ? count.get() : 0;
	}

	int port() {
		return this.server.getPort();
	}

	URI uri(String path) {
		return URI.create("http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port() + path);
	}

	HttpResponse<String> get(String path) throws IOException, InterruptedException {
		return this.client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build(),
				HttpResponse.BodyHandlers.ofString());
	}

	CompletableFuture<HttpResponse<String>> getAsync(String path) {
		return this.client.sendAsync(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
	}

	Arbiter arbiter() {
		return this.server.getArbiter();
	}

	@Override
	public void close() {
		this.release.countDown();
		this.server.stop();
	}

	static Mono<Void> never() {
		return Mono.never();
	}

	private static void await(CountDownLatch latch) {
		try {
			latch.await(60, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted while blocked", ex);
		}
	}

	static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted while sleeping", ex);
		}
	}

	static void sleepIgnoringInterrupts(long millis) {
		long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
		long left;
		while ((left = deadline - System.nanoTime()) > 0) {
			try {
				TimeUnit.NANOSECONDS.sleep(left);
			}
			catch (InterruptedException ex) {
				// deliberately ignored: this handler plays code that cannot be interrupted
			}
		}
	}

}
