package dev.prefork.server;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/1.1's checks, which hold on every connection that speaks HTTP/1.1, whatever else the
 * server speaks. The HTTP/2 test classes implement it for their set-up's HTTP/1.1 connections.
 */
interface Http11StrictnessContract {

	Duration HEADER_TIMEOUT = Duration.ofMillis(500);

	/** Starts a server with the class's set-up and {@link #HEADER_TIMEOUT}. */
	TestServer startServer() throws Exception;

	/** Opens a connection to it that speaks HTTP/1.1. */
	RawHttp openHttp11(TestServer server) throws Exception;

	@Test
	default void http11RequestIsServed() throws Exception {
		try (TestServer server = startServer(); RawHttp raw = openHttp11(server)) {
			RawHttp.Response response = raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
			assertThat(response.statusLine()).isEqualTo("HTTP/1.1 200 OK");
			assertThat(response.body()).isEqualTo("hello");
			RawHttp.Response guards = raw.send("GET /guards HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
			assertThat(guards.body()).isEqualTo("prefork.headTimer,prefork.headGuard");
		}
	}

	@Test
	default void http11RequestWithoutHostGets400() throws Exception {
		assertRefused("GET /hello HTTP/1.1\r\n\r\n", 400);
	}

	@Test
	default void http11RequestWithTooManyHeaderFieldsGets431() throws Exception {
		StringBuilder request = new StringBuilder("GET /hello HTTP/1.1\r\nHost: x\r\n");
		for (int i = 0; i < 150; i++) {
			request.append("X-Field-").append(i).append(": v\r\n");
		}
		assertRefused(request.append("\r\n").toString(), 431);
	}

	@Test
	default void http11HeadOverTheHeaderSectionBoundGets431() throws Exception {
		StringBuilder request = new StringBuilder("GET /hello HTTP/1.1\r\nHost: x\r\n");
		for (int i = 0; i < 10; i++) {
			request.append("X-Field-").append(i).append(": ").append("v".repeat(8000)).append("\r\n");
		}
		assertRefused(request.append("\r\n").toString(), 431);
	}

	@Test
	default void http11RequestWithTransferEncodingAndContentLengthGets400() throws Exception {
		assertRefused("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
				+ "0\r\n\r\n", 400);
	}

	@Test
	default void dribbledHttp11HeadGets408AndTheConnectionCloses() throws Exception {
		try (TestServer server = startServer(); RawHttp raw = openHttp11(server)) {
			raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n");
			long start = System.nanoTime();
			RawHttp.Response response = raw.readResponse();
			assertThat(response).as("an answer to the unfinished head").isNotNull();
			assertThat(response.status()).isEqualTo(408);
			assertThat(raw.isClosedByServer()).isTrue();
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
		}
	}

	private void assertRefused(String request, int status) throws Exception {
		try (TestServer server = startServer(); RawHttp raw = openHttp11(server)) {
			RawHttp.Response response = raw.send(request).readResponse();
			assertThat(response).as("an answer").isNotNull();
			assertThat(response.status()).isEqualTo(status);
			assertThat(response.hasHeader("connection", "close")).isTrue();
			assertThat(raw.isClosedByServer()).isTrue();
			assertThat(server.invocations("/hello")).isZero();
		}
	}

}
