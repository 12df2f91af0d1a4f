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

	/**
	 * Clients that leave straight after the handshake, or after one message, with or without a
	 * reset: each session is counted out once its connection is gone, and every message handed
	 * to the worker is released (the class's leak check).
	 */
	@Test
	void sessionsWhoseClientsLeaveAbruptlyAreAllCountedOut() throws Exception {
		start();
		Worker worker = server().getArbiter().getWorkers().get(0);
		for (int i = 0; i < 60; i++) {
			RawWebSocket client = new RawWebSocket(server().getPort(), (i % 2 == 0) ? "/echo" : "/slow");
			if (i % 3 != 0) {
				client.sendText((i % 2 == 0) ? "hi" : "50");
			}
			if (i % 4 == 0) {
				client.reset();
			}
			else {
				client.close();
			}
		}
		await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
			assertThat(worker.getWebSockets()).isZero();
			assertThat(worker.getStreaming()).isZero();
			assertThat(worker.getInFlight()).isZero();
			assertThat(worker.getUnanswered()).isZero();
		});
		assertThat(connect("/echo").exchange("still serving")).startsWith("still serving on prefork-w1-t");
	}

	/**
	 * A worker replaced because it missed its heartbeat takes its sessions with it, closed with
	 * 1001 as when it is recycled, rather than leaving them open on threads that are gone.
	 */
	@Test
	void aWorkerThatMissesItsHeartbeatClosesItsSessionsWithGoingAway() throws Exception {
		this.context = new SpringApplicationBuilder(WebSocketApplication.class).run("--server.port=0",
				"--prefork.workers=1", "--prefork.threads=1", "--prefork.timeout=1s");
		Session idle = connect("/echo");
		assertThat(idle.exchange("hello")).contains("prefork-w1-t");
		Worker worker = server().getArbiter().getWorkers().get(0);
		Session stuck = connect("/slow");
		stuck.socket.sendText("4000", true).join(); // holds the only thread past the heartbeat timeout
		assertThat(idle.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
		await().atMost(Duration.ofSeconds(10)).until(() -> worker.getWebSockets() == 0);
		await().atMost(Duration.ofSeconds(10)).until(() -> !server().getArbiter().getWorkers().contains(worker));
		assertThat(connect("/echo").exchange("after")).startsWith("after on prefork-w1-t");
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
