package dev.prefork.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Socket;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.web.server.GracefulShutdownResult;
import org.springframework.boot.web.server.Http2;
import org.springframework.boot.web.server.Shutdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker JVM of process mode leaving gracefully, as on a recycle or a rolling restart: its
 * server serves on a listening socket it shares with the other worker JVMs, so it stops
 * accepting, answers {@code Connection: close} on its busy keep-alive connections, closes its
 * idle ones cleanly (HTTP/2 ones with {@code GOAWAY}), and reports the drain done only once
 * none is left: Boot's stop that follows then has nothing to cut.
 */
@EnabledOnOs(OS.LINUX)
class LeavingSharedSocketTests {

	private static final String GET_HELLO = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";

	@Test
	void anIdleConnectionIsClosedCleanlyAndABusyOneAnsweredWithConnectionCloseBeforeTheDrainEnds() throws Exception {
		try (TestServer server = startOnSharedSocket(false);
				RawHttp idle = new RawHttp(server.port());
				RawHttp busy = new RawHttp(server.port())) {
			assertThat(idle.send(GET_HELLO).readResponse().status()).isEqualTo(200);
			assertThat(busy.send(GET_HELLO).readResponse().status()).isEqualTo(200);
			AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
			server.server.shutDownGracefully(result::set);

			List<RawHttp.Response> answers = new ArrayList<>();
			RawHttp.Response answer;
			do {
				Thread.sleep(50);
				answer = busy.send(GET_HELLO).readResponse();
				assertThat(answer).as("a request on the busy connection while draining is answered").isNotNull();
				answers.add(answer);
			}
			while (!answer.hasHeader("connection", "close") && answers.size() < 100);
			assertThat(answers).extracting(RawHttp.Response::status).containsOnly(200);
			assertThat(answer.hasHeader("connection", "close")).isTrue();
			assertThat(busy.readsEndOfStream()).isTrue();

			await().atMost(Duration.ofSeconds(10)).until(() -> result.get() != null);
			assertThat(result.get()).isEqualTo(GracefulShutdownResult.IDLE);
			idle.soTimeout(1000);
			assertThat(idle.readsEndOfStream()).as("the idle connection was closed, with a FIN, when the drain ended")
				.isTrue();
		}
	}

	@Test
	void anHttp2ConnectionIsToldToGoAwayAndItsStreamInFlightStillAnswered() throws Exception {
		try (TestServer server = startOnSharedSocket(true); H2Client h2 = H2Client.priorKnowledge(server.port())) {
			assertThat(h2.get("/hello", Map.of()).status()).isEqualTo("200");
			CompletableFuture<H2Client.Response> blocked = h2.sendAsync(h2.headers("/block"), true);
			await().until(() -> server.invocations("/block") == 1);
			AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
			server.server.shutDownGracefully(result::set);

			await().atMost(Duration.ofSeconds(5)).until(() -> h2.goAwayErrorCode() != null);
			assertThat(h2.goAwayErrorCode()).as("GOAWAY with NO_ERROR").isZero();
			assertThat(result.get()).as("still draining: a stream is in flight").isNull();
			server.release.countDown();
			H2Client.Response answer = blocked.get(10, TimeUnit.SECONDS);
			assertThat(answer.status()).as(answer.toString()).isEqualTo("200");
			assertThat(h2.isClosedWithin(Duration.ofSeconds(10))).isTrue();
			await().atMost(Duration.ofSeconds(10)).until(() -> result.get() == GracefulShutdownResult.IDLE);
		}
	}

	@Test
	void aLargeAnswerStillBeingWrittenToASlowClientIsNeitherCutNorClosedBeforeItsNextRequest() throws Exception {
		try (TestServer server = startOnSharedSocket(false); java.net.Socket socket = new java.net.Socket()) {
			socket.setReceiveBufferSize(16 * 1024);
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5000);
			RawHttp client = new RawHttp(socket);
			int bytes = 16_000_000;
			client.send("GET /big?bytes=" + bytes + " HTTP/1.1\r\nHost: x\r\n\r\n");
			AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
			assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200");
			server.server.shutDownGracefully(result::set);
			Thread.sleep(1500); // the client stops reading for a while, as over a slow mobile link
			assertThat(result.get()).as("still draining: the answer is not written yet").isNull();
			assertThat(socket.getInputStream().readNBytes(bytes)).hasSize(bytes);
			// The answer did not say it would close: a keep-alive client reuses the connection at once.
			RawHttp.Response next = client.send(GET_HELLO).readResponse();
			assertThat(next).as("the request sent as the answer ended is answered").isNotNull();
			assertThat(next.status()).isEqualTo(200);
			assertThat(next.hasHeader("connection", "close")).isTrue();
			await().atMost(Duration.ofSeconds(10)).until(() -> result.get() == GracefulShutdownResult.IDLE);
		}
	}

	@Test
	void aClientReadingALargeAnswerSlowlyGetsItsNextRequestAnswered() throws Exception {
		try (TestServer server = startOnSharedSocket(false); java.net.Socket socket = new java.net.Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5000);
			RawHttp client = new RawHttp(socket);
			int bytes = 4_000_000;
			client.send("GET /big?bytes=" + bytes + " HTTP/1.1\r\nHost: x\r\n\r\n");
			assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200");
			AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
			server.server.shutDownGracefully(result::set);
			// A slow link: 32 KB every 15 ms, about 2 MB/s, so that the socket buffers are full of
			// answer still on its way when the server has handed it all to the kernel.
			byte[] chunk = new byte[32 * 1024];
			long received = 0;
			int read;
			while (received < bytes
					&& (read = socket.getInputStream().read(chunk, 0, (int) Math.min(chunk.length, bytes - received))) != -1) {
				received += read;
				Thread.sleep(15);
			}
			assertThat(received).isEqualTo(bytes);
			RawHttp.Response next = client.send(GET_HELLO).readResponse();
			assertThat(next).as("the request sent as the answer ended is answered").isNotNull();
			assertThat(next.status()).isEqualTo(200);
			await().atMost(Duration.ofSeconds(10)).until(() -> result.get() == GracefulShutdownResult.IDLE);
		}
	}

	/**
	 * A TLS connection that has sent nothing yet (a browser's preconnect, a pool warmed up), or
	 * whose handshake stalls, holds no request: it neither holds the drain for long nor keeps
	 * the server from leaving.
	 */
	@Test
	void tlsConnectionsWithoutARequestDoNotHoldTheDrain(@TempDir Path directory) throws Exception {
		TestCertificate certificate = TestCertificate.create(directory);
		try (TestServer server = startOnSharedSocket(false, certificate);
				javax.net.ssl.SSLSocket preconnected = certificate.connect(server.port(), "http/1.1");
				java.net.Socket stalled = new java.net.Socket(InetAddress.getLoopbackAddress(), server.port())) {
			stalled.getOutputStream().write(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 }); // a ClientHello begun
			Thread.sleep(200);
			AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
			long began = System.nanoTime();
			server.server.shutDownGracefully(result::set);
			await().atMost(Duration.ofSeconds(8)).until(() -> result.get() != null);
			assertThat(result.get()).isEqualTo(GracefulShutdownResult.IDLE);
			assertThat(Duration.ofNanos(System.nanoTime() - began)).as("well within the 10 s TLS handshake timeout")
				.isLessThan(Duration.ofSeconds(5));
		}
	}

	@Test
	void aWebSocketHandshakeWhileDrainingIsRefusedSoThatTheClientOpensItOnAnotherWorker() throws Exception {
		try (TestServer server = startOnSharedSocket(false); RawHttp client = new RawHttp(server.port())) {
			assertThat(client.send(GET_HELLO).readResponse().status()).isEqualTo(200);
			AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
			server.server.shutDownGracefully(result::set);
			RawHttp.Response refused = client.send("GET /hello HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
					+ "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
					+ "Sec-WebSocket-Version: 13\r\n\r\n").readResponse();
			assertThat(refused.status()).isEqualTo(503);
			assertThat(refused.hasHeader("connection", "close")).isTrue();
			assertThat(client.readsEndOfStream()).isTrue();
			await().atMost(Duration.ofSeconds(10)).until(() -> result.get() == GracefulShutdownResult.IDLE);
		}
	}

	/**
	 * Over TLS the bytes of a record mean nothing until it is whole: the idle clock must count
	 * them as they arrive, or a request whose record straddles the idle threshold is cut off.
	 */
	@Test
	void aTlsRequestWhoseRecordArrivesInTwoPartsAcrossTheIdleThresholdIsServed(@TempDir Path directory)
			throws Exception {
		TestCertificate certificate = TestCertificate.create(directory);
		try (TestServer server = startOnSharedSocket(false, certificate);
				SplittingProxy proxy = new SplittingProxy(server.port());
				RawHttp client = new RawHttp(certificate.connect(proxy.port(), "http/1.1"))) {
			assertThat(client.send(GET_HELLO).readResponse().status()).isEqualTo(200);
			server.server.shutDownGracefully((result) -> {
			});
			Thread.sleep(300);
			proxy.holdBackTheRestOfTheNextWrite(10, Duration.ofMillis(700));
			RawHttp.Response answer = client.send(GET_HELLO).readResponse();
			assertThat(answer).as("answered, not cut off").isNotNull();
			assertThat(answer.status()).isEqualTo(200);
			assertThat(answer.hasHeader("connection", "close")).isTrue();
		}
	}

	/**
	 * Clients that send at random within the idle threshold on some connections, and connections
	 * left idle, while the server drains, for several rounds: every request sent gets a 200, each
	 * busy connection ends with {@code Connection: close} and each idle one with a clean close,
	 * and the drain ends only after all of them.
	 */
	@Test
	void busyAndIdleConnectionsAllEndCleanlyWhileRoundsOfDrainsRun() throws Exception {
		for (int round = 0; round < 3; round++) {
			try (TestServer server = startOnSharedSocket(false)) {
				List<RawHttp> idle = new ArrayList<>();
				for (int i = 0; i < 6; i++) {
					RawHttp connection = new RawHttp(server.port());
					assertThat(connection.send(GET_HELLO).readResponse().status()).isEqualTo(200);
					idle.add(connection);
				}
				List<CompletableFuture<String>> busy = new ArrayList<>();
				for (int i = 0; i < 12; i++) {
					RawHttp connection = new RawHttp(server.port());
					busy.add(CompletableFuture.supplyAsync(() -> sendUntilClosed(connection)));
				}
				Thread.sleep(ThreadLocalRandom.current().nextInt(300, 1000));
				AtomicReference<GracefulShutdownResult> result = new AtomicReference<>();
				server.server.shutDownGracefully(result::set);
				for (CompletableFuture<String> client : busy) {
					assertThat(client.get(20, TimeUnit.SECONDS)).as("round " + round).isEqualTo("Connection: close");
				}
				await().atMost(Duration.ofSeconds(10)).until(() -> result.get() != null);
				assertThat(result.get()).isEqualTo(GracefulShutdownResult.IDLE);
				for (RawHttp connection : idle) {
					connection.soTimeout(1000);
					assertThat(connection.readsEndOfStream()).as("round " + round + ": idle connection closed").isTrue();
					connection.close();
				}
			}
		}
	}

	/**
	 * {@code GET /hello} with pauses of up to 200 ms (well within the 500 ms after which an idle
	 * connection of a leaving server is closed) until an answer says {@code Connection: close}.
	 */
	private static String sendUntilClosed(RawHttp connection) {
		try (connection) {
			for (int sent = 0; sent < 10_000; sent++) {
				Thread.sleep(ThreadLocalRandom.current().nextInt(200));
				RawHttp.Response answer = connection.send(GET_HELLO).readResponse();
				if (answer == null || answer.status() != 200) {
					return "request " + (sent + 1) + " answered " + ((answer != null) ? answer.statusLine() : "nothing");
				}
				if (answer.hasHeader("connection", "close")) {
					return connection.readsEndOfStream() ? "Connection: close" : "Connection: close, still open";
				}
			}
			return "never closed";
		}
		catch (IOException | InterruptedException ex) {
			return ex.toString();
		}
	}

	/** The head of a response, read byte by byte so that none of its body is taken. */
	private static String readHead(InputStream in) throws IOException {
		StringBuilder head = new StringBuilder();
		int b;
		while (!head.toString().endsWith("\r\n\r\n") && (b = in.read()) != -1) {
			head.append((char) b);
		}
		return head.toString();
	}

	/**
	 * A server on a listening socket it was handed, as a worker JVM of process mode is, with a
	 * graceful shutdown. Its server closes the socket when it stops.
	 */
	private static TestServer startOnSharedSocket(boolean http2) throws IOException {
		return startOnSharedSocket(http2, null);
	}

	private static TestServer startOnSharedSocket(boolean http2, @Nullable TestCertificate tls) throws IOException {
		Epoll.ensureAvailability(); // loads the native library that makes the socket
		Socket listening = Socket.newSocketStream();
		listening.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
		listening.listen(128);
		return TestServer.start((factory) -> {
			factory.setShutdown(Shutdown.GRACEFUL);
			factory.setInheritedListener(() -> listening);
			if (tls != null) {
				factory.setSsl(tls.ssl());
			}
			if (http2) {
				Http2 enabled = new Http2();
				enabled.setEnabled(true);
				factory.setHttp2(enabled);
			}
		});
	}

	/**
	 * Relays one connection to the server, byte for byte; told to, it passes on only the first
	 * bytes of the client's next write, and the rest after a pause.
	 */
	private static final class SplittingProxy implements AutoCloseable {

		private final ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());

		private final List<java.net.Socket> sockets = new CopyOnWriteArrayList<>();

		private volatile int firstBytes = -1;

		private volatile Duration pause = Duration.ZERO;

		SplittingProxy(int serverPort) throws IOException {
			daemon(() -> {
				try {
					java.net.Socket client = track(this.listening.accept());
					java.net.Socket server = track(new java.net.Socket(InetAddress.getLoopbackAddress(), serverPort));
					relay(server, client, false);
					relay(client, server, true);
				}
				catch (IOException ex) {
					// closed
				}
			});
		}

		int port() {
			return this.listening.getLocalPort();
		}

		void holdBackTheRestOfTheNextWrite(int firstBytes, Duration pause) {
			this.pause = pause;
			this.firstBytes = firstBytes;
		}

		private java.net.Socket track(java.net.Socket socket) throws IOException {
			socket.setTcpNoDelay(true);
			this.sockets.add(socket);
			return socket;
		}

		private void relay(java.net.Socket from, java.net.Socket to, boolean splitting) {
			daemon(() -> {
				byte[] buffer = new byte[64 * 1024];
				try (from; to) {
					int read;
					while ((read = from.getInputStream().read(buffer)) != -1) {
						int split = splitting ? this.firstBytes : -1;
						if (split > 0 && split < read) {
							this.firstBytes = -1;
							to.getOutputStream().write(buffer, 0, split);
							Thread.sleep(this.pause.toMillis());
							to.getOutputStream().write(buffer, split, read - split);
						}
						else {
							to.getOutputStream().write(buffer, 0, read);
						}
					}
				}
				catch (IOException | InterruptedException ex) {
					// closed
				}
			});
		}

		private static void daemon(Runnable task) {
			Thread thread = new Thread(task, "splitting-proxy");
			thread.setDaemon(true);
			thread.start();
		}

		@Override
		public void close() throws IOException {
			for (java.net.Socket socket : this.sockets) {
				socket.close();
			}
			this.listening.close();
		}

	}

}
