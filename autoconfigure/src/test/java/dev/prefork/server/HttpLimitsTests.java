package dev.prefork.server;

import java.net.InetAddress;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests outside gunicorn's limits, or outside what RFC 9112 allows, are answered with the
 * right 4xx/5xx and the connection is closed; slow request heads are cut off with 408.
 */
class HttpLimitsTests {

	@Test
	void requestLineOverTheLimitGets414() throws Exception {
		assertThat(exchange("GET /" + "a".repeat(4100) + " HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(414);
	}

	@Test
	void tooManyHeaderFieldsGet431() throws Exception {
		StringBuilder request = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
		for (int i = 0; i < 101; i++) {
			request.append("X-Field-").append(i).append(": v\r\n");
		}
		assertThat(exchange(request.append("\r\n").toString()).status()).isEqualTo(431);
	}

	@Test
	void headerFieldOverTheSizeLimitGets431() throws Exception {
		String request = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(8200) + "\r\n\r\n";
		assertThat(exchange(request).status()).isEqualTo(431);
	}

	@Test
	void http11RequestWithoutHostOrWithTwoHostsGets400() throws Exception {
		assertThat(exchange("GET / HTTP/1.1\r\n\r\n").status()).isEqualTo(400);
		assertThat(exchange("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status()).isEqualTo(400);
		assertThat(exchange("GET / HTTP/1.1\r\nHost: a b\r\n\r\n").status()).isEqualTo(400);
	}

	@Test
	void unsupportedVersionGets505WithoutEchoingIt() throws Exception {
		RawHttp.Response response = exchange("GET / HTTP/2.0\r\nHost: x\r\n\r\n");
		assertThat(response.status()).isEqualTo(505);
		assertThat(response.statusLine()).startsWith("HTTP/1.1 ");
	}

	@Test
	void ambiguousOrUnknownTransferEncodingIsRefused() throws Exception {
		assertThat(exchange("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n").status())
			.isEqualTo(501);
		assertThat(exchange("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n").status())
			.isEqualTo(400);
		assertThat(exchange("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
				+ "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n").status())
			.isEqualTo(400);
		assertThat(exchange("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
				+ "0\r\n\r\n").status())
			.isEqualTo(400);
	}

	@Test
	void refusedRequestNeverReachesTheApplicationAndTheConnectionIsClosed() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
		}); RawHttp raw = new RawHttp(server.port())) {
			RawHttp.Response response = raw.send("GET /hello HTTP/1.1\r\n\r\n").readResponse();
			assertThat(response.status()).isEqualTo(400);
			assertThat(response.hasHeader("connection", "close")).isTrue();
			assertThat(raw.isClosedByServer()).isTrue();
			assertThat(server.invocations("/hello")).isZero();
		}
	}

	@Test
	void clientDribblingItsRequestHeadIsAnswered408AndDisconnected() throws Exception {
		try (TestServer server = TestServer.start((factory) -> factory.setHeaderTimeout(Duration.ofMillis(500)));
				RawHttp raw = new RawHttp(server.port())) {
			raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n");
			long start = System.nanoTime();
			RawHttp.Response response = raw.readResponse();
			assertThat(response.status()).isEqualTo(408);
			assertThat(raw.isClosedByServer()).isTrue();
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
		}
	}

	@Test
	void idleKeptAliveConnectionIsNotCutByTheHeaderTimeout() throws Exception {
		try (TestServer server = TestServer.start((factory) -> factory.setHeaderTimeout(Duration.ofMillis(300)));
				RawHttp raw = new RawHttp(server.port())) {
			assertThat(raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().status()).isEqualTo(200);
			raw.soTimeout(800);
			assertThat(raw.isClosedByServer()).isFalse(); // idle for 800 ms, longer than the header timeout
			raw.soTimeout(15_000);
			assertThat(raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().status()).isEqualTo(200);
		}
	}

	@Test
	void idleKeptAliveConnectionIsClosedAfterTheKeepaliveTimeout() throws Exception {
		try (TestServer server = TestServer.start((factory) -> factory.setKeepAlive(Duration.ofMillis(300)));
				RawHttp raw = new RawHttp(server.port())) {
			assertThat(raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().status()).isEqualTo(200);
			raw.soTimeout(5_000);
			assertThat(raw.isClosedByServer()).isTrue();
		}
	}

	@Test
	void headWithinEveryFieldLimitButOverTheSectionBoundGets431AndTheConnectionCloses() throws Exception {
		// 10 fields of 8000 bytes: each under limit-request-field-size, 10 under limit-request-fields,
		// 80 KB in all, over the 64 KiB the decoder may buffer for one head.
		StringBuilder request = new StringBuilder("GET /hello HTTP/1.1\r\nHost: x\r\n");
		for (int i = 0; i < 10; i++) {
			request.append("X-Field-").append(i).append(": ").append("v".repeat(8000)).append("\r\n");
		}
		try (TestServer server = TestServer.start(HttpLimitsTests::onLoopback);
				RawHttp raw = new RawHttp(server.port())) {
			RawHttp.Response response = raw.send(request.append("\r\n").toString()).readResponse();
			assertThat(response).as("a response").isNotNull();
			assertThat(response.status()).isEqualTo(431);
			assertThat(response.hasHeader("connection", "close")).isTrue();
			assertThat(raw.isClosedByServer()).isTrue();
			assertThat(server.invocations("/hello")).isZero();
		}
	}

	@Test
	void headOverTheSectionBoundPipelinedBehindARequestIsAnswered431AfterIt() throws Exception {
		StringBuilder request = new StringBuilder("GET /sleep?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n");
		request.append("GET /hello HTTP/1.1\r\nHost: x\r\n");
		for (int i = 0; i < 10; i++) {
			request.append("X-Field-").append(i).append(": ").append("v".repeat(8000)).append("\r\n");
		}
		try (TestServer server = TestServer.start(HttpLimitsTests::onLoopback);
				RawHttp raw = new RawHttp(server.port())) {
			raw.send(request.append("\r\n").toString());
			assertThat(raw.readResponse().body()).isEqualTo("slept");
			RawHttp.Response refusal = raw.readResponse();
			assertThat(refusal).as("a second answer").isNotNull();
			assertThat(refusal.status()).isEqualTo(431);
			assertThat(raw.isClosedByServer()).isTrue();
		}
	}

	@Test
	void largestAcceptedHeaderLimitsStillBuildAServerThatServes() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			onLoopback(factory);
			factory.setLimitRequestFields(32768);
			factory.setLimitRequestFieldSize(65536);
		}); RawHttp raw = new RawHttp(server.port())) {
			String request = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(60_000) + "\r\n\r\n";
			RawHttp.Response response = raw.send(request).readResponse();
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.body()).isEqualTo("hello");
		}
	}

	private static void onLoopback(PreforkReactiveWebServerFactory factory) {
		factory.setAddress(InetAddress.getLoopbackAddress());
	}

	private static RawHttp.Response exchange(String request) throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
		}); RawHttp raw = new RawHttp(server.port())) {
			RawHttp.Response response = raw.send(request).readResponse();
			assertThat(response).as("a response").isNotNull();
			return response;
		}
	}

}
