package dev.prefork.integration;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.GracefulShutdownResult;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import dev.prefork.server.PreforkWebServer;
import dev.prefork.server.Worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * WebSocket handlers run on the worker that admitted the handshake, never on an event loop, so a
 * handler that blocks on a message stalls no other connection. A worker counts its open sessions
 * and closes them with 1001 Going Away when it is recycled, and graceful shutdown closes every
 * session the same way. The client is the JDK's own WebSocket client.
 */
class WebSocketTests {

	private ConfigurableApplicationContext context;

	private final HttpClient client = HttpClient.newHttpClient();

	@AfterEach
	void close() {
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void messagesAreHandledOnTheWorkerThatAdmittedTheHandshake() throws Exception {
		start();
		Session session = connect("/echo");
		assertThat(session.exchange("hello")).startsWith("hello on prefork-w1-t");
		assertThat(session.exchange("again")).startsWith("again on prefork-w1-t");
		session.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
	}

	@Test
	void aHandlerThatBlocksOnAMessageStallsNoOtherConnection() throws Exception {
		start();
		Session slow = connect("/slow");
		slow.socket.sendText("2000", true).join();
		long start = System.nanoTime();
		Session other = connect("/echo");
		assertThat(other.exchange("quick")).startsWith("quick on prefork-w1-t");
		HttpResponse<String> hello = this.client.send(HttpRequest.newBuilder(uri("http", "/hello")).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(hello.body()).isEqualTo("hello");
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1500));
		assertThat(slow.next()).startsWith("slept 2000 on prefork-w1-t");
	}

	@Test
	void aRecycledWorkerClosesItsSessionsWithGoingAwayAndTheClientReconnects() throws Exception {
		start();
		Session session = connect("/echo");
		assertThat(session.exchange("hello")).contains("prefork-w1-t");
		Worker worker = server().getArbiter().getWorkers().get(0);
		assertThat(worker.getWebSockets()).isEqualTo(1);
		// An open session is an answer that has started: it streams, and holds no place among the
		// requests awaiting their answer (max-in-flight).
		assertThat(worker.getStreaming()).isEqualTo(1);
		assertThat(worker.getUnanswered()).isZero();
		server().getArbiter().recycle(1);
		assertThat(session.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
		await().until(() -> worker.getWebSockets() == 0);
		Session again = connect("/echo");
		assertThat(again.exchange("back")).contains("prefork-w1-t");
		assertThat(server().getArbiter().getActiveWorkers().get(0)).isNotSameAs(worker);
	}

	@Test
	void gracefulShutdownClosesEverySessionWithGoingAway() throws Exception {
		start();
		Session first = connect("/echo");
		Session second = connect("/echo");
		assertThat(first.exchange("a")).isNotEmpty();
		assertThat(second.exchange("b")).isNotEmpty();
		CompletableFuture<GracefulShutdownResult> result = new CompletableFuture<>();
		server().shutDownGracefully(result::complete);
		assertThat(first.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
		assertThat(second.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
		assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo(GracefulShutdownResult.IDLE);
	}

	private void start() {
		this.context = new SpringApplicationBuilder(WebSocketApplication.class).run("--server.port=0",
				"--prefork.workers=1", "--prefork.threads=2", "--server.shutdown=graceful");
	}

	private PreforkWebServer server() {
		return (PreforkWebServer) ((WebServerApplicationContext) this.context).getWebServer();
	}

	private Session connect(String path) {
		Session session = new Session();
		session.socket = this.client.newWebSocketBuilder().buildAsync(uri("ws", path), session).join();
		return session;
	}

	private URI uri(String scheme, String path) {
		return URI.create(scheme + "://127.0.0.1:" + server().getPort() + path);
	}

	/** One client session: the messages it received, and the close code it got. */
	static final class Session implements WebSocket.Listener {

		final BlockingQueue<String> received = new LinkedBlockingQueue<>();

		final CompletableFuture<Integer> closeCode = new CompletableFuture<>();

		WebSocket socket;

		private final StringBuilder partial = new StringBuilder();

		String exchange(String text) throws InterruptedException {
			this.socket.sendText(text, true).join();
			return next();
		}

		String next() throws InterruptedException {
			String message = this.received.poll(10, TimeUnit.SECONDS);
			assertThat(message).as("a message within 10 s").isNotNull();
			return message;
		}

		@Override
		public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
			this.partial.append(data);
			if (last) {
				this.received.add(this.partial.toString());
				this.partial.setLength(0);
			}
			webSocket.request(1);
			return null;
		}

		@Override
		public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
			this.closeCode.complete(statusCode);
			return null;
		}

		@Override
		public void onError(WebSocket webSocket, Throwable error) {
			this.closeCode.completeExceptionally(error);
		}

	}

}
