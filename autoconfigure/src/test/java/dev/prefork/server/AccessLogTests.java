package dev.prefork.server;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import org.springframework.boot.web.server.Http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The access log on a real server: one line per finished request, in the configured format,
 * the server's own answers included (503 for overload and request timeouts, refused heads, 408),
 * HTTP/2 streams too, and none at all while it is off.
 */
class AccessLogTests {

	/** What most tests look at: method, path, query, protocol, status, body bytes, worker. */
	private static final String FORMAT = "%(m)s %(U)s %(q)s %(H)s %(s)s %(B)s %(w)s";

	@Test
	void defaultFormatLogsAGetInGunicornsFormatWithoutItsQueryString() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture();
				TestServer server = TestServer.start((factory) -> factory.setAccessLogEnabled(true))) {
			HttpResponse<String> response = server.get("/hello?token=secret");
			assertThat(response.statusCode()).isEqualTo(200);
			String line = log.single();
			assertThat(line).matches("127\\.0\\.0\\.1 - - \\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}\\] "
					+ "\"GET /hello HTTP/1\\.1\" 200 5 \"-\" \"Java-http-client/[^\"]+\" w[12] \\d+")
				.doesNotContain("token")
				.doesNotContain("secret");
		}
	}

	@Test
	void queryStringAppearsOnlyWhereTheFormatAsksForIt() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture();
				TestServer server = start((factory) -> factory.setAccessLogFormat("\"%(r)s\" %(U)s q=%(q)s"))) {
			server.get("/hello?a=1&b=2");
			assertThat(log.single()).isEqualTo("\"GET /hello HTTP/1.1\" /hello q=a=1&b=2");
		}
	}

	@Test
	void lineNamesTheWorkerThatServedTheRequestAndTheBytesTheClientGot() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture(); TestServer server = start((factory) -> {
		})) {
			HttpResponse<String> response = server.get("/thread");
			String worker = response.body().replaceAll("^prefork-(w\\d+)-t\\d+$", "$1");
			assertThat(log.single()).isEqualTo("GET /thread - HTTP/1.1 200 " + response.body().length() + " " + worker);
			HttpResponse<String> big = server.get("/big?bytes=100000");
			assertThat(log.awaitLines(2).get(1)).startsWith("GET /big bytes=100000 HTTP/1.1 200 " + big.body().length() + " w");
		}
	}

	@Test
	void durationAtomsAgreeWithEachOther() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture();
				TestServer server = start((factory) -> factory.setAccessLogFormat("%(T)s %(M)s %(D)s %(L)s"))) {
			server.get("/sleep?ms=150");
			String[] parts = log.single().split(" ");
			long micros = Long.parseLong(parts[2]);
			assertThat(micros).isBetween(150_000L, 10_000_000L);
			assertThat(Long.parseLong(parts[1])).isEqualTo(micros / 1000);
			assertThat(Long.parseLong(parts[0])).isEqualTo(micros / 1_000_000);
			assertThat(parts[3]).isEqualTo((micros / 1_000_000) + "." + String.format("%06d", micros % 1_000_000));
		}
	}

	@Test
	void requestAndResponseHeadersAreLoggedByName() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture(); TestServer server = start(
				(factory) -> factory.setAccessLogFormat("\"%({X-Trace}i)s\" \"%({content-type}o)s\" \"%(f)s\""));
				RawHttp raw = new RawHttp(server.port())) {
			raw.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Trace: a\"b\r\nReferer: http://r/\r\n\r\n").readResponse();
			assertThat(log.single()).isEqualTo("\"a\\x22b\" \"text/plain;charset=UTF-8\" \"http://r/\"");
		}
	}

	@Test
	void requestWhoseChunkedBodyCannotBeDecodedIsLoggedWithTheStatusTheDecoderAnswered() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture();
				TestServer server = start((factory) -> factory.setWorkers(1));
				RawHttp raw = new RawHttp(server.port())) {
			RawHttp.Response response = raw.send("POST /echo-thread HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
					+ "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n\r\n").readResponse();
			assertThat(response.status()).isEqualTo(400);
			assertThat(log.single()).isEqualTo("POST /echo-thread - HTTP/1.1 400 0 w1");
		}
	}

	@Test
	void headResponseIsLoggedWithoutTheBodyItNeverSends() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture();
				TestServer server = start((factory) -> factory.setWorkers(1));
				RawHttp raw = new RawHttp(server.port())) {
			RawHttp.Response response = raw.send("HEAD /big?bytes=1000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
				.readResponse();
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.body()).isEmpty(); // read to the close: no body on the wire
			assertThat(log.single()).isEqualTo("HEAD /big bytes=1000 HTTP/1.1 200 0 w1");
		}
	}

	@Test
	void forwardedClientAddressIsEscapedSoThatItCannotForgeALine() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture(); TestServer server = start((factory) -> {
			factory.setUseForwardHeaders(true);
			factory.setAccessLogFormat("%(h)s \"%(r)s\" %(s)s");
		}); RawHttp raw = new RawHttp(server.port())) {
			raw.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4\" - - [fake\r\n\r\n").readResponse();
			assertThat(log.single()).isEqualTo("1.2.3.4\\x22 - - [fake \"GET /hello HTTP/1.1\" 200");
		}
	}

	@Test
	void requestRefusedForOverloadIsLoggedAs503WithoutAWorker() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture(); TestServer server = start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(0);
		})) {
			CompletableFuture<HttpResponse<String>> running = server.getAsync("/block");
			await().until(() -> server.invocations("/block") == 1);
			assertThat(server.get("/hello").statusCode()).isEqualTo(503);
			assertThat(log.single()).isEqualTo("GET /hello - HTTP/1.1 503 0 -");
			server.release.countDown();
			assertThat(running.get().statusCode()).isEqualTo(200);
			assertThat(log.awaitLines(2).get(1)).isEqualTo("GET /block - HTTP/1.1 200 8 w1");
		}
	}

	@Test
	void requestThatRunsPastTheRequestTimeoutIsLoggedAs503OnItsWorker() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture(); TestServer server = start((factory) -> {
			factory.setWorkers(1);
			factory.setRequestTimeout(Duration.ofMillis(300));
		})) {
			assertThat(server.get("/hang").statusCode()).isEqualTo(503);
			assertThat(log.single()).isEqualTo("GET /hang - HTTP/1.1 503 0 w1");
		}
	}

	@Test
	void queuedRequestWhoseClientLeftIsLoggedAs499() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture(); TestServer server = start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
		})) {
			CompletableFuture<HttpResponse<String>> running = server.getAsync("/block");
			await().until(() -> server.invocations("/block") == 1);
			try (RawHttp raw = new RawHttp(server.port())) {
				raw.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
				await().until(() -> server.arbiter().getWorkers().get(0).getQueued() == 1);
			}
			assertThat(log.single()).isEqualTo("GET /hello - HTTP/1.1 499 0 w1");
			server.release.countDown();
			running.get();
			assertThat(log.awaitLines(2)).hasSize(2);
		}
	}

	@Test
	void headsRefusedByTheServerAreLoggedWithoutAWorker() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture(); TestServer server = start((factory) -> {
		})) {
			assertThat(exchange(server, "GET /hello?x=1 HTTP/1.1\r\n\r\n")).isEqualTo(400); // no Host
			StringBuilder fields = new StringBuilder("GET /hello HTTP/1.1\r\nHost: x\r\n");
			for (int i = 0; i < 101; i++) {
				fields.append("X-Field-").append(i).append(": v\r\n");
			}
			assertThat(exchange(server, fields.append("\r\n").toString())).isEqualTo(431);
			assertThat(exchange(server, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(8200) + "\r\n\r\n"))
				.isEqualTo(431); // refused by the decoder, answered by reactor-netty
			assertThat(exchange(server, "GET /" + "a".repeat(4100) + " HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo(414);
			// Each line is written when its answer has been written, on its connection's event loop:
			// in no set order across connections, and perhaps after its client has read the answer.
			assertThat(log.awaitLines(4)).containsExactlyInAnyOrder("GET /hello x=1 HTTP/1.1 400 0 -",
					"GET /hello - HTTP/1.1 431 0 -", "GET / - HTTP/1.1 431 0 -", "- - - - 414 0 -");
		}
	}

	@Test
	void headThatTimesOutAfterItsRequestLineIsLoggedAs408() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture();
				TestServer server = start((factory) -> factory.setHeaderTimeout(Duration.ofMillis(300)));
				RawHttp raw = new RawHttp(server.port())) {
			raw.send("GET /hello?q=1 HTTP/1.1\r\nHost: x\r\n");
			assertThat(raw.readResponse().status()).isEqualTo(408);
			assertThat(raw.isClosedByServer()).isTrue();
			server.close(); // every connection's last event has happened
			assertThat(log.lines()).containsExactly("GET /hello q=1 HTTP/1.1 408 0 -");
		}
	}

	@Test
	void headThatTimesOutBeforeItsRequestLineEndsIsNotARequest() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture();
				TestServer server = start((factory) -> factory.setHeaderTimeout(Duration.ofMillis(300)));
				RawHttp raw = new RawHttp(server.port())) {
			raw.send("GET /hel");
			assertThat(raw.readResponse().status()).isEqualTo(408);
			assertThat(raw.isClosedByServer()).isTrue();
			server.close();
			assertThat(log.lines()).isEmpty();
		}
	}

	@Test
	void http2StreamsAreLoggedAndSoAreTheirRefusals() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture(); TestServer server = start((factory) -> {
			Http2 http2 = new Http2();
			http2.setEnabled(true);
			factory.setHttp2(http2);
			factory.setLimitRequestFieldSize(1024);
		}); H2Client client = H2Client.priorKnowledge(server.port())) {
			H2Client.Response response = client.get("/hello?q=2", Map.of());
			assertThat(response.status()).isEqualTo("200");
			assertThat(log.single()).matches("GET /hello q=2 HTTP/2\\.0 200 5 w[12]");
			assertThat(client.get("/hello", Map.of("x-big", "b".repeat(2000))).status()).isEqualTo("431");
			assertThat(log.awaitLines(2).get(1)).isEqualTo("GET /hello - HTTP/2.0 431 0 -");
		}
	}

	@Test
	void whenTheAccessLogIsOffNothingIsLogged() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture();
				TestServer server = TestServer.start((factory) -> factory.setAccessLogFormat(FORMAT))) {
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
			assertThat(exchange(server, "GET /hello HTTP/1.1\r\n\r\n")).isEqualTo(400);
			await().until(() -> server.arbiter().getInFlight() == 0);
			assertThat(log.lines()).isEmpty();
		}
	}

	@Test
	void whenTheCategoryIsOffNothingIsFormatted() throws Exception {
		try (AccessLogCapture log = new AccessLogCapture(); TestServer server = start((factory) -> {
		})) {
			((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(AccessLog.CATEGORY))
				.setLevel(ch.qos.logback.classic.Level.WARN);
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
			await().until(() -> server.arbiter().getInFlight() == 0);
			assertThat(log.lines()).isEmpty();
		}
	}

	private static TestServer start(Consumer<PreforkReactiveWebServerFactory> customizer) {
		return TestServer.start((factory) -> {
			factory.setAccessLogEnabled(true);
			factory.setAccessLogFormat(FORMAT);
			customizer.accept(factory);
		});
	}

	private static int exchange(TestServer server, String request) throws Exception {
		try (RawHttp raw = new RawHttp(server.port())) {
			return raw.send(request).readResponse().status();
		}
	}

}
