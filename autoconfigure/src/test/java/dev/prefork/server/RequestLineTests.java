package dev.prefork.server;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.server.reactive.HttpHandler;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request line, checked in full on a real server: what the decoder refuses and what the
 * request-head rules refuse are both answered in a well-formed HTTP/1.1 status line and the
 * connection closed; what is accepted reaches the application as RFC 9110 §2.5 and RFC 9112
 * §3.2.2 say to process it.
 */
class RequestLineTests {

	@Test
	void requestWithAHigherMinorVersionIsAnsweredAsHttp11AndKeptAlive() throws Exception {
		try (TestServer server = TestServer.start(RequestLineTests::onLoopback);
				RawHttp raw = new RawHttp(server.port())) {
			RawHttp.Response response = raw.send("GET /hello HTTP/1.2\r\nHost: x\r\n\r\n").readResponse();
			assertThat(response.statusLine()).isEqualTo("HTTP/1.1 200 OK");
			assertThat(response.body()).isEqualTo("hello");
			assertThat(raw.send("GET /hello HTTP/1.2\r\nHost: x\r\n\r\n").readResponse().status()).isEqualTo(200);
			assertThat(server.invocations("/hello")).isEqualTo(2);
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "HTTP/2.0", "HTTP/3.0", "HTTP/0.9" })
	void requestWithAnotherMajorVersionIsAnswered505AsHttp11AndClosed(String version) throws Exception {
		assertRefused("GET /hello " + version + "\r\nHost: x\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported");
	}

	/** These never reach the guard: Netty's decoder refuses them, and the answer is still well-formed. */
	@ParameterizedTest
	@ValueSource(strings = { "GET /hello HTTP/1.10", "GET /hello HTTP/01.1", "GET /hello HTTP/1",
			"GET /hello HTTPS/1.1", "GET /hello", "GET /hello HTTP/1.1 ", "GET /a b HTTP/1.1", "G(ET /hello HTTP/1.1" })
	void requestLineTheDecoderRefusesIsAnswered400AsHttp11AndClosed(String requestLine) throws Exception {
		assertRefused(requestLine + "\r\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request");
	}

	@ParameterizedTest
	@ValueSource(strings = { "GET /hello http/1.1", "GET /hello#top HTTP/1.1", "GET /hello%zz HTTP/1.1",
			"GET /hello?q=caf\u00e9 HTTP/1.1", "GET http://user@x/hello HTTP/1.1", "GET http:///hello HTTP/1.1",
			"GET ftp://x/hello HTTP/1.1", "CONNECT /hello HTTP/1.1" })
	void malformedRequestLineIsAnswered400AndNeverReachesTheApplication(String requestLine) throws Exception {
		assertRefused(requestLine + "\r\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request");
	}

	@Test
	void connectToThisOriginServerIsAnswered501AndClosed() throws Exception {
		assertRefused("CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", "HTTP/1.1 501 Not Implemented");
	}

	@Test
	void absoluteFormAuthorityIsWhatTheApplicationSeesNotTheHostField() throws Exception {
		HttpHandler echo = (request, response) -> {
			byte[] uri = request.getURI().toString().getBytes(StandardCharsets.US_ASCII);
			response.getHeaders().setContentLength(uri.length);
			DataBuffer body = response.bufferFactory().wrap(uri);
			return response.writeWith(Mono.just(body));
		};
		try (TestServer server = TestServer.start(RequestLineTests::onLoopback, echo);
				RawHttp raw = new RawHttp(server.port())) {
			RawHttp.Response response = raw
				.send("GET http://target.example:8081/echo?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n")
				.readResponse();
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.body()).isEqualTo("http://target.example:8081/echo?q=1");
		}
	}

	@Test
	void absoluteFormRequestForAManagementPathRunsOnTheManagementLane() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			onLoopback(factory);
			factory.setManagementPathPrefix("/actuator");
			factory.setManagementThreads(1);
		}); RawHttp raw = new RawHttp(server.port())) {
			RawHttp.Response response = raw.send("GET http://x/actuator/thread HTTP/1.1\r\nHost: x\r\n\r\n")
				.readResponse();
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.body()).isEqualTo("prefork-management-t1");
		}
	}

	private static void assertRefused(String request, String statusLine) throws Exception {
		try (TestServer server = TestServer.start(RequestLineTests::onLoopback);
				RawHttp raw = new RawHttp(server.port())) {
			RawHttp.Response response = raw.send(request).readResponse();
			assertThat(response).as("an answer").isNotNull();
			assertThat(response.statusLine()).isEqualTo(statusLine);
			assertThat(response.hasHeader("connection", "close")).isTrue();
			assertThat(raw.isClosedByServer()).as("closed by the server").isTrue();
			assertThat(server.invocations("/hello")).isZero();
		}
	}

	private static void onLoopback(PreforkReactiveWebServerFactory factory) {
		factory.setAddress(InetAddress.getLoopbackAddress());
	}

}
