package dev.prefork.integration;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.GracefulShutdownResult;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;

import dev.prefork.server.PreforkWebServer;
import dev.prefork.server.Worker;
import dev.prefork.server.WorkerInitializer;

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
	 * 1001 as when it is recycled, rather than leaving them open on threads that are gone. Its
	 * replacement boots slowly here (an initializer of 500 ms), so the clients' answers to the
	 * 1001 arrive while no worker is left to run the end of their sessions: that ends them, and is
	 * reported to no uncaught-exception handler (once it was, by Reactor, with a stack trace of a
	 * rejected task on standard error).
	 */
	@Test
	void aWorkerThatMissesItsHeartbeatClosesItsSessionsWithGoingAway() throws Exception {
		AtomicInteger boots = new AtomicInteger();
		WorkerInitializer slowReplacement = (workerId) -> {
			if (boots.incrementAndGet() > 1) {
				Thread.sleep(500);
			}
		};
		List<Throwable> uncaught = new CopyOnWriteArrayList<>();
		Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
		Thread.setDefaultUncaughtExceptionHandler((thread, ex) -> uncaught.add(ex));
		try {
			this.context = new SpringApplicationBuilder(WebSocketApplication.class)
				.initializers((GenericApplicationContext context) -> context.registerBean(WorkerInitializer.class,
						() -> slowReplacement))
				.run("--server.port=0", "--prefork.workers=1", "--prefork.threads=1", "--prefork.timeout=1s");
			List<Session> idle = new ArrayList<>();
			for (int i = 0; i < 8; i++) {
				Session session = connect("/echo");
				assertThat(session.exchange("hello")).contains("prefork-w1-t");
				idle.add(session);
			}
			Worker worker = server().getArbiter().getWorkers().get(0);
			Session stuck = connect("/slow");
			stuck.socket.sendText("4000", true).join(); // holds the only thread past the heartbeat timeout
			for (Session session : idle) {
				assertThat(session.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
			}
			await().atMost(Duration.ofSeconds(10)).until(() -> worker.getWebSockets() == 0);
			await().atMost(Duration.ofSeconds(10)).until(() -> !server().getArbiter().getWorkers().contains(worker));
			await().atMost(Duration.ofSeconds(10)).until(() -> server().getArbiter().getActiveWorkers().size() == 1);
			assertThat(connect("/echo").exchange("after")).startsWith("after on prefork-w1-t");
			assertThat(uncaught).isEmpty();
		}
		finally {
			Thread.setDefaultUncaughtExceptionHandler(previous);
		}
	}

	/**
	 * The access log has one line per session, written when it ends, with the status its client
	 * got for the handshake: {@code 101}, whether the session closed cleanly or with a reset.
	 */
	@Test
	void eachSessionIsLoggedOnceItEndsWithTheSwitchingProtocolsItsClientGot() throws Exception {
		this.context = new SpringApplicationBuilder(WebSocketApplication.class).run("--server.port=0",
				"--prefork.workers=1", "--prefork.access-log.enabled=true",
				"--prefork.access-log.format=%(r)s %(s)s %(B)s %(w)s");
		try (AccessLogLines log = new AccessLogLines()) { // once Boot has set its logging up
			Session session = connect("/echo");
			assertThat(session.exchange("hello")).startsWith("hello on prefork-w1-t");
			assertThat(log.lines()).isEmpty(); // the session has not ended
			session.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
			assertThat(session.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
			assertThat(log.awaitLines(1)).containsExactly("GET /echo HTTP/1.1 101 0 w1");
			RawWebSocket reset = new RawWebSocket(server().getPort(), "/echo");
			reset.sendText("hi");
			reset.reset();
			assertThat(log.awaitLines(2)).containsExactly("GET /echo HTTP/1.1 101 0 w1", "GET /echo HTTP/1.1 101 0 w1");
			Worker worker = server().getArbiter().getWorkers().get(0);
			await().until(() -> worker.getWebSockets() == 0 && worker.getInFlight() == 0);
			assertThat(log.lines()).hasSize(2);
		}
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

	/** The lines written to the access-log category while it is open, as a Logback appender gets them. */
	private static final class AccessLogLines extends AppenderBase<ILoggingEvent> implements AutoCloseable {

		private final List<String> lines = new CopyOnWriteArrayList<>();

		private final Logger logger = (Logger) LoggerFactory.getLogger("dev.prefork.access");

		AccessLogLines() {
			setContext(this.logger.getLoggerContext());
			start();
			this.logger.addAppender(this);
		}

		@Override
		protected void append(ILoggingEvent event) {
			this.lines.add(event.getFormattedMessage());
		}

		List<String> lines() {
			return List.copyOf(this.lines);
		}

		List<String> awaitLines(int count) {
			await().atMost(Duration.ofSeconds(10)).until(() -> this.lines.size() >= count);
			return lines();
		}

		@Override
		public void close() {
			this.logger.detachAppender(this);
			stop();
		}

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
