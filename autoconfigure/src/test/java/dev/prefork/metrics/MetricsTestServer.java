package dev.prefork.metrics;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.HttpHandler;

import dev.prefork.server.Arbiter;
import dev.prefork.server.PreforkReactiveWebServerFactory;
import dev.prefork.server.PreforkWebServer;

/**
 * A real Prefork server on a random port with a {@link PreforkMetricsBinder} listening to its
 * arbiter and bound once it started. {@code /hello} answers 200, {@code /missing} 404,
 * {@code /boom} throws, and {@code /block} waits until the test releases it. Closing it stops
 * the server and closes the binder.
 */
final class MetricsTestServer implements AutoCloseable {

	final CountDownLatch release = new CountDownLatch(1);

	final AtomicInteger blocked = new AtomicInteger();

	final PreforkMetricsBinder binder;

	final PreforkWebServer server;

	private final HttpClient client = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	private MetricsTestServer(PreforkMetricsBinder binder, Consumer<PreforkReactiveWebServerFactory> customizer) {
		this.binder = binder;
		PreforkReactiveWebServerFactory factory = new PreforkReactiveWebServerFactory(0);
		factory.setAddress(InetAddress.getLoopbackAddress());
		factory.setWorkers(2);
		factory.setThreads(4);
		factory.setIoThreads(2);
		customizer.accept(factory);
		factory.addArbiterListeners(binder);
		this.server = (PreforkWebServer) factory.getWebServer(handler());
	}

	static MetricsTestServer start(PreforkMetricsBinder binder, Consumer<PreforkReactiveWebServerFactory> customizer) {
		MetricsTestServer server = new MetricsTestServer(binder, customizer);
		server.server.start();
		binder.bindTo(server.server);
		return server;
	}

	private HttpHandler handler() {
		return (request, response) -> {
			switch (request.getPath().value()) {
				case "/boom" -> throw new IllegalStateException("boom");
				case "/missing" -> response.setStatusCode(HttpStatus.NOT_FOUND);
				case "/block" -> {
					this.blocked.incrementAndGet();
					awaitRelease();
				}
				default -> {
				}
			}
			return response.setComplete();
		};
	}

	private void awaitRelease() {
		try {
			this.release.await(30, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted while blocked", ex);
		}
	}

	Arbiter arbiter() {
		return this.server.getArbiter();
	}

	int get(String path) throws IOException, InterruptedException {
		return this.client.send(request(path), HttpResponse.BodyHandlers.discarding()).statusCode();
	}

	CompletableFuture<HttpResponse<Void>> getAsync(String path) {
		return this.client.sendAsync(request(path), HttpResponse.BodyHandlers.discarding());
	}

	private HttpRequest request(String path) {
		return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.server.getPort() + path))
			.timeout(Duration.ofSeconds(30))
			.build();
	}

	@Override
	public void close() {
		this.release.countDown();
		this.server.stop();
		this.binder.close();
	}

}
