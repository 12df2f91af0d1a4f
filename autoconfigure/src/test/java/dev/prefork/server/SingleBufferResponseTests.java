package dev.prefork.server;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.server.reactive.HttpHandler;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A body of one buffer is written through a send operator rather than as reactor-netty's kept-aside
 * full response (see {@code WorkerBoundHttpHandler}): on the wire it must still look as on stock
 * WebFlux, a {@code Content-Length} and no chunked encoding, whether the application set the length
 * or not, and keep-alive must go on.
 */
class SingleBufferResponseTests {

	private static final HttpHandler HANDLER = (request, response) -> {
		DataBuffer body = response.bufferFactory().wrap("hello".getBytes(StandardCharsets.UTF_8));
		if (request.getPath().value().equals("/with-length")) {
			response.getHeaders().setContentLength(5);
		}
		return response.writeWith(Mono.just(body));
	};

	@Test
	void aBufferWrittenWithoutALengthIsSentWithOne() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
		}, HANDLER); RawHttp http = new RawHttp(server.port())) {
			for (String path : new String[] { "/without-length", "/with-length", "/without-length" }) {
				RawHttp.Response response = http.send("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
				assertThat(response.status()).isEqualTo(200);
				assertThat(response.hasHeader("content-length", "5")).as(response.headers()).isTrue();
				assertThat(response.headers().toLowerCase()).doesNotContain("transfer-encoding");
				assertThat(response.body()).isEqualTo("hello");
			}
		}
	}

}
