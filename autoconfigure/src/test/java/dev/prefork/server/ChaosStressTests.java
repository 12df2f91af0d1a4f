package dev.prefork.server;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelOption;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;

import org.springframework.boot.web.server.Http2;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;

import dev.prefork.test.NettyLeakCheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;

/**
 * Seconds of mixed traffic against a small server — blocking, never-ending, failing, streaming and body-reading
 * handlers behind filters that delay, throw, fail later or touch the session; clients that cut requests short,
 * leave without reading or reset; HTTP/2 streams cancelled mid-flight; every worker recycled four times — after
 * which every counter an operator watches must be back at zero, no application code may have run off a worker
 * thread, and no buffer may have leaked.
 */
class ChaosStressTests {

	static final AtomicInteger onEventLoop = new AtomicInteger();

	static final WebFilter CHAOS_FILTER = (exchange, chain) -> {
		String mode = exchange.getRequest().getQueryParams().getFirst("f");
		if (mode == null) {
			return chain.filter(exchange);
		}
		return switch (mode) {
			case "delay" -> Mono.delay(Duration.ofMillis(ThreadLocalRandom.current().nextInt(20))).then(chain.filter(exchange));
			case "throw" -> throw new IllegalStateException("filter threw");
			case "asyncerror" -> Mono.delay(Duration.ofMillis(5)).then(Mono.error(new IllegalStateException("async filter error")));
			case "session" -> exchange.getSession().then(chain.filter(exchange));
			default -> chain.filter(exchange);
		};
	};

	static String where() {
		String name = Thread.currentThread().getName();
		if (!name.startsWith("prefork-w")) {
			onEventLoop.incrementAndGet();
		}
		return name;
	}

	static HttpHandler handler() {
		return WebHttpHandlerBuilder.webHandler(RouterFunctions.toWebHandler(RouterFunctions
			.route(GET("/ok"), (request) -> ServerResponse.ok().bodyValue(where()))
			.andRoute(GET("/never"), (request) -> ServerResponse.ok().body(Mono.never(), String.class))
			.andRoute(GET("/sleep"), (request) -> {
				where();
				TestServer.sleep(ThreadLocalRandom.current().nextInt(30));
				return ServerResponse.ok().bodyValue("slept");
			})
			.andRoute(GET("/error"), (request) -> {
				where();
				throw new IllegalArgumentException("handler threw");
			})
			.andRoute(GET("/stream"), (request) -> ServerResponse.ok()
				.contentType(MediaType.TEXT_EVENT_STREAM)
				.body(Flux.interval(Duration.ZERO, Duration.ofMillis(20)).take(10)
					.map((i) -> ServerSentEvent.builder("e" + i).build()), ServerSentEvent.class))
			.andRoute(GET("/half-stream"), (request) -> ServerResponse.ok()
				.contentType(MediaType.TEXT_EVENT_STREAM)
				.body(Flux.concat(Flux.just(ServerSentEvent.builder("x").build()), Flux.never()), ServerSentEvent.class))
			.andRoute(POST("/body"), (request) -> request.bodyToMono(String.class)
				.flatMap((body) -> ServerResponse.ok().bodyValue(where() + " " + body.length())))))
			.filter(CHAOS_FILTER, new WorkerAffinityFilter())
			.build();
	}

	static final String[] FILTERS = { "", "?f=delay", "?f=throw", "?f=asyncerror", "?f=session", "?f=delay" };

	static final String[] PATHS = { "/ok", "/never", "/sleep", "/error", "/stream", "/half-stream", "POST /body" };

	static String randomRequest() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		String path = PATHS[random.nextInt(PATHS.length)];
		String filter = FILTERS[random.nextInt(FILTERS.length)];
		if (path.startsWith("POST")) {
			String body = "x".repeat(random.nextInt(20000));
			return "POST /body" + filter + " HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: "
					+ body.length() + "\r\n\r\n" + body;
		}
		return "GET " + path + filter + " HTTP/1.1\r\nHost: t\r\n\r\n";
	}

	static void oneClient(int port, AtomicBoolean stop) {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		while (!stop.get()) {
			try (Socket socket = new Socket()) {
				socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
				socket.setSoTimeout(1500);
				OutputStream out = socket.getOutputStream();
				String request = randomRequest();
				byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
				int cut = random.nextInt(4) == 0 ? random.nextInt(bytes.length) : bytes.length;
				out.write(bytes, 0, cut);
				out.flush();
				InputStream in = socket.getInputStream();
				switch (random.nextInt(4)) {
					case 0 -> Thread.sleep(random.nextInt(50)); // leave without reading
					case 1 -> {
						socket.setSoLinger(true, 0); // RST
						Thread.sleep(random.nextInt(10));
					}
					default -> {
						byte[] buffer = new byte[8192];
						long deadline = System.nanoTime() + 800_000_000L;
						while (System.nanoTime() < deadline && in.read(buffer) != -1) {
						}
					}
				}
			}
			catch (Exception ex) {
				// timeouts, resets: part of the chaos
			}
		}
	}

	static void h2Chaos(int port, AtomicBoolean stop) {
		// The client's own buffers are left out of leak detection: reactor-netty's HTTP/2 client leaks
		// the frames of streams it cancels, and the leaks this test looks for are the server's.
		HttpClient client = HttpClient.create()
			.protocol(HttpProtocol.H2C)
			.host("127.0.0.1")
			.port(port)
			.option(ChannelOption.ALLOCATOR, new UnpooledByteBufAllocator(false, true));
		while (!stop.get()) {
			List<reactor.core.Disposable> calls = new ArrayList<>();
			for (int i = 0; i < 20; i++) {
				String path = PATHS[ThreadLocalRandom.current().nextInt(PATHS.length - 1)]
						+ FILTERS[ThreadLocalRandom.current().nextInt(FILTERS.length)];
				calls.add(client.get().uri(path).responseContent().aggregate().asString()
					.timeout(Duration.ofMillis(ThreadLocalRandom.current().nextInt(5, 300)))
					.subscribe((s) -> { }, (e) -> { }));
			}
			try {
				Thread.sleep(ThreadLocalRandom.current().nextInt(5, 100));
			}
			catch (InterruptedException ex) {
				return;
			}
			calls.forEach(reactor.core.Disposable::dispose); // RST_STREAM for those still running
		}
	}

	static Thread startThread(Runnable body) {
		Thread thread = new Thread(body);
		thread.start();
		return thread;
	}

	@Test
	void countersReturnToZeroAfterChaos() throws Exception {
		NettyLeakCheck.collectLeaks();
		TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(2);
			factory.setThreads(2);
			factory.setQueueCapacity(4);
			factory.setRequestTimeout(Duration.ofMillis(400));
			factory.setGracefulTimeout(Duration.ofMillis(500));
			factory.setStreamIdleTimeout(Duration.ofSeconds(1));
			Http2 http2 = new Http2();
			http2.setEnabled(true);
			factory.setHttp2(http2);
		}, handler());
		try {
			AtomicBoolean stop = new AtomicBoolean();
			List<Thread> clients = new ArrayList<>();
			for (int i = 0; i < 10; i++) {
				clients.add(startThread(() -> oneClient(server.port(), stop)));
			}
			for (int i = 0; i < 2; i++) {
				clients.add(startThread(() -> h2Chaos(server.port(), stop)));
			}
			for (int i = 0; i < 4; i++) {
				Thread.sleep(1500);
				server.arbiter().recycleAll();
			}
			stop.set(true);
			for (Thread client : clients) {
				client.join(10_000);
			}
			await().atMost(Duration.ofSeconds(15)).until(() -> server.arbiter().getInFlight() == 0
					&& server.arbiter().getWorkers().stream().allMatch((w) -> w.getUnanswered() == 0
							&& w.getStreaming() == 0 && w.getInFlight() == 0 && w.getBusyThreads() == 0
							&& w.getQueued() == 0 && w.getWebSockets() == 0));
			assertThat(server.arbiter().getTotalRequests()).as("requests the workers answered").isGreaterThan(100);
			assertThat(onEventLoop.get()).as("handler calls off a worker thread").isZero();
		}
		finally {
			server.close();
		}
		assertThat(NettyLeakCheck.collectLeaks()).isEmpty();
	}

}
