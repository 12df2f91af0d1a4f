package dev.prefork.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.boot.web.server.Http2;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.HttpHandler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Seconds of concurrent HTTP/1.1 and HTTP/2 requests against a server small enough to refuse
 * some, with clients that leave while their request runs: every request the server saw is logged
 * exactly once, with the status and body bytes its client got, and nothing stays in flight.
 */
class AccessLogStressTests {

	private static final Duration RUN = Duration.ofSeconds(3);

	/** Ids of the requests whose handler has started, so that a leaving client knows it was seen. */
	private final Set<String> started = ConcurrentHashMap.newKeySet();

	/** What each client saw: status and body length, or {@code -1} for a client that left. */
	private final Map<String, int[]> seenByClients = new ConcurrentHashMap<>();

	private final AtomicInteger ids = new AtomicInteger();

	@Test
	void everyRequestIsLoggedExactlyOnceWithWhatItsClientGot() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture(); TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(2);
			factory.setThreads(2);
			factory.setQueueCapacity(3);
			factory.setAccessLogEnabled(true);
			factory.setAccessLogFormat("%(q)s %(s)s %(B)s %(w)s");
			Http2 http2 = new Http2();
			http2.setEnabled(true);
			factory.setHttp2(http2);
		}, handler())) {
			AtomicBoolean stop = new AtomicBoolean();
			List<Thread> clients = new ArrayList<>();
			for (int i = 0; i < 8; i++) {
				clients.add(start("http11-client-" + i, () -> http11Client(server.port(), stop)));
			}
			for (int i = 0; i < 2; i++) {
				clients.add(start("h2-client-" + i, () -> h2Client(server.port(), stop)));
			}
			Thread.sleep(RUN.toMillis()); // the length of the run, not a wait for a condition
			stop.set(true);
			for (Thread client : clients) {
				client.join(20_000);
			}
			await().atMost(Duration.ofSeconds(15)).until(() -> server.arbiter().getInFlight() == 0
					&& server.arbiter().getWorkers().stream().allMatch((w) -> w.getInFlight() == 0
							&& w.getUnanswered() == 0 && w.getBusyThreads() == 0 && w.getQueued() == 0));
			Map<String, String[]> logged = new HashMap<>();
			for (String line : log.lines()) {
				String[] fields = line.split(" ");
				assertThat(logged.put(fields[0], fields)).as("a second line for %s", fields[0]).isNull();
			}
			assertThat(logged).hasSize(this.seenByClients.size());
			this.seenByClients.forEach((id, seen) -> {
				String[] line = logged.get(id);
				assertThat(line).as("line of %s", id).isNotNull();
				if (seen[0] < 0) {
					assertThat(line[1]).as("status of %s, whose client left", id).isIn("499", "200");
				}
				else {
					assertThat(line[1]).as("status of %s", id).isEqualTo(Integer.toString(seen[0]));
					assertThat(line[2]).as("bytes of %s", id).isEqualTo(Integer.toString(seen[1]));
					assertThat(line[3]).as("worker of %s", id).matches(seen[0] == 503 ? "-|w[12]" : "w[12]");
				}
			});
			long left = this.seenByClients.values().stream().filter((seen) -> seen[0] < 0).count();
			long refused = this.seenByClients.values().stream().filter((seen) -> seen[0] == 503).count();
			assertThat(this.seenByClients.size()).as("requests").isGreaterThan(100);
			assertThat(left).as("clients that left").isPositive();
			System.out.println("access-log stress: " + this.seenByClients.size() + " requests, " + left
					+ " clients left, " + refused + " refused, " + log.lines().size() + " lines");
		}
	}

	private void http11Client(int port, AtomicBoolean stop) {
		while (!stop.get()) {
			String id = "id=" + this.ids.incrementAndGet();
			boolean leave = ThreadLocalRandom.current().nextInt(6) == 0;
			String path = (leave ? "/hold?" : "/fast?") + id;
			try (Socket socket = new Socket()) {
				socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
				socket.setSoTimeout(15_000);
				socket.getOutputStream()
					.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
						.getBytes(StandardCharsets.US_ASCII));
				InputStream in = socket.getInputStream();
				if (leave) {
					await().atMost(Duration.ofSeconds(10))
						.pollInterval(Duration.ofMillis(2))
						.until(() -> this.started.contains(id) || in.available() > 0);
					if (this.started.contains(id) && in.available() == 0) {
						this.seenByClients.put(id, new int[] { -1, -1 });
						continue; // closing the socket is the client leaving
					}
				}
				this.seenByClients.put(id, readResponse(in));
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
		}
	}

	private void h2Client(int port, AtomicBoolean stop) {
		try (H2Client client = H2Client.priorKnowledge(port)) {
			while (!stop.get()) {
				String id = "id=" + this.ids.incrementAndGet();
				H2Client.Response response = client.get("/fast?" + id, Map.of());
				this.seenByClients.put(id, new int[] { Integer.parseInt(response.status()),
						response.body().getBytes(StandardCharsets.UTF_8).length });
			}
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static Thread start(String name, Runnable client) {
		Thread thread = new Thread(client, name);
		thread.start();
		return thread;
	}

	/** Status and body length of a response read to the end of its connection. */
	private static int[] readResponse(InputStream in) throws IOException {
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		in.transferTo(received);
		String text = received.toString(StandardCharsets.ISO_8859_1);
		int status = Integer.parseInt(text.substring(9, 12));
		int body = text.length() - (text.indexOf("\r\n\r\n") + 4);
		return new int[] { status, body };
	}

	private HttpHandler handler() {
		return (request, response) -> {
			String id = request.getURI().getQuery();
			if (request.getPath().value().equals("/hold")) {
				this.started.add(id);
				TestServer.sleep(100);
			}
			byte[] body = ("ok " + id).getBytes(StandardCharsets.US_ASCII);
			response.setStatusCode(HttpStatus.OK);
			response.getHeaders().setContentLength(body.length);
			DataBuffer buffer = response.bufferFactory().wrap(body);
			return response.writeWith(Mono.just(buffer));
		};
	}

}
