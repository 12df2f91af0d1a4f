package dev.prefork.server;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;

/**
 * A {@code 100 Continue} is not the end of a response, and body bytes are not a request head:
 * neither may start the header timeout, and a pipelined refusal waits for the final answer to the
 * request before it.
 */
class InterimResponseTests {

	private static final Duration HEADER_TIMEOUT = Duration.ofMillis(500);

	@Test
	void slowUploadAfter100ContinueIsNotCutOffWith408() throws Exception {
		try (TestServer server = start(); RawHttp raw = new RawHttp(server.port())) {
			raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 8\r\n\r\n");
			assertThat(raw.readResponse().status()).isEqualTo(100);
			dribble(raw, "12345678", 250); // 2 s in all, four times the header timeout
			RawHttp.Response response = raw.readResponse();
			assertThat(response.statusLine()).isEqualTo("HTTP/1.1 200 OK");
			assertThat(response.body()).isEqualTo("8 bytes");
		}
	}

	@Test
	void bodyBytesArrivingAfterAnEarlyAnswerDoNotArmTheHeadTimer() throws Exception {
		try (TestServer server = start(); RawHttp raw = new RawHttp(server.port())) {
			raw.send("POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n");
			assertThat(raw.readResponse().status()).isEqualTo(401);
			dribble(raw, "12345678", 250);
			RawHttp.Response next = raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
			assertThat(next).as("an answer on the same connection after the body").isNotNull();
			assertThat(next.status()).isEqualTo(200);
		}
	}

	@Test
	void pipelinedRefusalAfterA100ContinueRequestIsAnsweredAfterItsResponse() throws Exception {
		try (TestServer server = start(); RawHttp raw = new RawHttp(server.port())) {
			raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"
					+ "GET /hello HTTP/1.1\r\n\r\n");
			List<String> answers = new ArrayList<>();
			RawHttp.Response response;
			while ((response = raw.readResponse()) != null) {
				answers.add(response.status() + (response.body().isEmpty() ? "" : " " + response.body()));
			}
			assertThat(answers).containsExactly("100", "200 5 bytes", "400");
		}
	}

	@Test
	void headDribbledAfterAnUploadIsStillCutOffWith408() throws Exception {
		try (TestServer server = start(); RawHttp raw = new RawHttp(server.port())) {
			raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
			assertThat(raw.readResponse().status()).isEqualTo(100);
			assertThat(raw.send("ok").readResponse().status()).isEqualTo(200);
			raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n");
			long start = System.nanoTime();
			assertThat(raw.readResponse().status()).isEqualTo(408);
			assertThat(raw.isClosedByServer()).isTrue();
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
		}
	}

	@Test
	void headPipelinedWhileAResponseIsOwedIsTimedOnlyOnceThatResponseIsWritten() throws Exception {
		try (TestServer server = start(); RawHttp raw = new RawHttp(server.port())) {
			raw.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
			Thread.sleep(100); // a read of its own, while /slow runs for three header timeouts
			raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n");
			RawHttp.Response first = raw.readResponse();
			assertThat(first.status()).as("the owed response comes first").isEqualTo(200);
			assertThat(first.body()).isEqualTo("slow");
			long answered = System.nanoTime();
			RawHttp.Response timeout = raw.readResponse();
			assertThat(timeout).as("an answer to the dribbled head").isNotNull();
			assertThat(timeout.status()).isEqualTo(408);
			assertThat(Duration.ofNanos(System.nanoTime() - answered)).as("timed from the owed response on")
				.isGreaterThanOrEqualTo(HEADER_TIMEOUT.minusMillis(50))
				.isLessThan(Duration.ofSeconds(5));
			assertThat(raw.isClosedByServer()).isTrue();
		}
	}

	private static TestServer start() {
		return TestServer.start((factory) -> {
			factory.setAddress(InetAddress.getLoopbackAddress());
			factory.setHeaderTimeout(HEADER_TIMEOUT);
		}, handler());
	}

	private static HttpHandler handler() {
		return RouterFunctions.toHttpHandler(RouterFunctions
			.route(POST("/upload"),
					(request) -> request.bodyToMono(String.class)
						.flatMap((body) -> ServerResponse.ok().bodyValue(body.length() + " bytes")))
			.andRoute(POST("/early"), (request) -> ServerResponse.status(HttpStatus.UNAUTHORIZED).build())
			.andRoute(GET("/hello"), (request) -> ServerResponse.ok().bodyValue("hello"))
			.andRoute(GET("/slow"), (request) -> {
				sleep(3 * HEADER_TIMEOUT.toMillis());
				return ServerResponse.ok().bodyValue("slow");
			}));
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Sends the text one byte at a time, pausing between bytes. Stops quietly when the server
	 * has closed the connection, so that the test then reads what the server answered instead.
	 */
	private static void dribble(RawHttp raw, String text, long pauseMillis) throws InterruptedException {
		for (char c : text.toCharArray()) {
			Thread.sleep(pauseMillis);
			try {
				raw.send(String.valueOf(c));
			}
			catch (IOException ex) {
				return;
			}
		}
	}

}
