package dev.prefork.server;

import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.boot.web.server.Compression;
import org.springframework.boot.web.server.Http2;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Boot's own server settings ({@code server.compression.*}, {@code server.http2.enabled}) and the
 * factory's server header keep working on Prefork.
 */
class BootServerSettingsTests {

	private static final String TEXT = "prefork ".repeat(1000);

	private final HttpHandler text = (request, response) -> {
		response.getHeaders().setContentType(MediaType.TEXT_PLAIN);
		DataBuffer body = response.bufferFactory().wrap(TEXT.getBytes(StandardCharsets.UTF_8));
		return response.writeWith(Mono.just(body));
	};

	@Test
	void compressionSettingsCompressLargeTextResponses() throws Exception {
		Compression compression = new Compression();
		compression.setEnabled(true);
		compression.setMinResponseSize(DataSize.ofBytes(100));
		try (TestServer server = TestServer.start((factory) -> factory.setCompression(compression), this.text)) {
			HttpResponse<byte[]> response = server.client.send(
					HttpRequest.newBuilder(server.uri("/")).header(HttpHeaders.ACCEPT_ENCODING, "gzip").build(),
					HttpResponse.BodyHandlers.ofByteArray());
			assertThat(response.headers().firstValue(HttpHeaders.CONTENT_ENCODING)).hasValue("gzip");
			assertThat(response.body().length).isLessThan(TEXT.length() / 10);
			String inflated = new String(new GZIPInputStream(new ByteArrayInputStream(response.body())).readAllBytes(),
					StandardCharsets.UTF_8);
			assertThat(inflated).isEqualTo(TEXT);
		}
	}

	@Test
	void http2CleartextIsNegotiatedWhenEnabled() throws Exception {
		Http2 http2 = new Http2();
		http2.setEnabled(true);
		try (TestServer server = TestServer.start((factory) -> factory.setHttp2(http2), this.text)) {
			HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
			// The first request upgrades the connection (h2c), the second runs over HTTP/2.
			client.send(HttpRequest.newBuilder(server.uri("/")).build(), HttpResponse.BodyHandlers.ofString());
			HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.uri("/")).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
			assertThat(response.body()).isEqualTo(TEXT);
		}
	}

	@Test
	void serverHeaderIsSentWhenConfigured() throws Exception {
		try (TestServer server = TestServer.start((factory) -> factory.setServerHeader("prefork-test"), this.text)) {
			HttpResponse<String> response = server.get("/");
			assertThat(response.headers().firstValue("Server")).hasValue("prefork-test");
		}
	}

}
