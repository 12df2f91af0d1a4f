package dev.prefork.server;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import io.netty.handler.codec.http.HttpHeaderNames;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;

import org.springframework.boot.web.server.Http2;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.server.reactive.HttpHandler;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On HTTP/2 a body of one buffer is written through a send operator rather than as reactor-netty's
 * kept-aside full response (see {@code WorkerBoundHttpHandler}): on the wire it must still look as
 * on stock WebFlux, with a {@code content-length}, whether the application set the length or not.
 */
class SingleBufferResponseTests {

	private static final HttpHandler HANDLER = (request, response) -> {
		if (request.getPath().value().equals("/empty")) {
			return response.writeWith(Mono.empty());
		}
		DataBuffer body = response.bufferFactory().wrap("hello".getBytes(StandardCharsets.UTF_8));
		if (request.getPath().value().equals("/with-length")) {
			response.getHeaders().setContentLength(5);
		}
		return response.writeWith(Mono.just(body));
	};

	private static final Consumer<PreforkReactiveWebServerFactory> HTTP2 = (factory) -> {
		Http2 http2 = new Http2();
		http2.setEnabled(true);
		factory.setHttp2(http2);
	};

	@Test
	void aBufferWrittenWithOrWithoutALengthIsSentWithOne() {
		try (TestServer server = TestServer.start(HTTP2, HANDLER)) {
			HttpClient client = HttpClient.create().protocol(HttpProtocol.H2C).host("127.0.0.1").port(server.port());
			for (String path : new String[] { "/without-length", "/with-length" }) {
				String answer = client.get()
					.uri(path)
					.responseSingle((response, content) -> content.asString()
						.map((body) -> response.version() + " " + response.status().code() + " "
								+ response.responseHeaders().get(HttpHeaderNames.CONTENT_LENGTH) + " " + body))
					.block();
				assertThat(answer).isEqualTo("HTTP/2.0 200 5 hello");
			}
		}
	}

	@Test
	void anEmptyBodyIsSentWithALengthOfZero() {
		try (TestServer server = TestServer.start(HTTP2, HANDLER)) {
			String answer = HttpClient.create()
				.protocol(HttpProtocol.H2C)
				.host("127.0.0.1")
				.port(server.port())
				.get()
				.uri("/empty")
				.responseSingle((response, content) -> content.asString()
					.defaultIfEmpty("")
					.map((body) -> response.status().code() + " "
							+ response.responseHeaders().get(HttpHeaderNames.CONTENT_LENGTH) + " [" + body + "]"))
				.block();
			assertThat(answer).isEqualTo("200 0 []");
		}
	}

}
