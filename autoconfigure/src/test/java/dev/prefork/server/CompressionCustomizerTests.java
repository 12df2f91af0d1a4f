package dev.prefork.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.boot.web.server.Compression;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CompressionCustomizer} on a real server: the compression cases of Boot's
 * {@code AbstractReactiveWebServerFactoryTests} (ported, as that suite is not published), plus
 * {@code server.compression.additional-mime-types} and a Content-Type the application got wrong.
 * Like Boot's, the handler answers 3000 bytes with a Content-Length.
 */
class CompressionCustomizerTests {

	private static final int CONTENT_SIZE = 3000;

	@Test
	void compressionOfResponseToGetRequest() throws Exception {
		assertCompressed(exchange(enabled(), MediaType.TEXT_PLAIN_VALUE, "GET", null));
	}

	@Test
	void compressionOfResponseToPostRequest() throws Exception {
		assertCompressed(exchange(enabled(), MediaType.TEXT_PLAIN_VALUE, "POST", null));
	}

	@Test
	void noCompressionForSmallResponse() throws Exception {
		Compression compression = enabled((it) -> it.setMinResponseSize(DataSize.ofBytes(CONTENT_SIZE + 1)));
		assertNotCompressed(exchange(compression, MediaType.TEXT_PLAIN_VALUE, "GET", null));
	}

	@Test
	void compressionAtExactlyTheMinResponseSize() throws Exception {
		Compression compression = enabled((it) -> it.setMinResponseSize(DataSize.ofBytes(CONTENT_SIZE)));
		assertCompressed(exchange(compression, MediaType.TEXT_PLAIN_VALUE, "GET", null));
	}

	@Test
	void noCompressionForMimeType() throws Exception {
		Compression compression = enabled((it) -> it.setMimeTypes(new String[] { "application/json" }));
		assertNotCompressed(exchange(compression, MediaType.TEXT_PLAIN_VALUE, "GET", null));
	}

	@Test
	void compressionForAnAdditionalMimeType() throws Exception {
		Compression compression = enabled((it) -> it.setAdditionalMimeTypes(new String[] { "application/x-custom" }));
		assertCompressed(exchange(compression, "application/x-custom", "GET", null));
		assertCompressed(exchange(compression, MediaType.TEXT_PLAIN_VALUE, "GET", null));
	}

	@Test
	void noCompressionForUserAgent() throws Exception {
		Compression compression = enabled((it) -> it.setExcludedUserAgents(new String[] { "testUserAgent" }));
		assertNotCompressed(exchange(compression, MediaType.TEXT_PLAIN_VALUE, "GET", "testUserAgent"));
		assertNotCompressed(exchange(compression, MediaType.TEXT_PLAIN_VALUE, "GET", "TESTUSERAGENT"));
		// As Boot's Netty server: the whole User-Agent value is compared, not a part of it.
		assertCompressed(exchange(compression, MediaType.TEXT_PLAIN_VALUE, "GET", "Mozilla/5.0 testUserAgent"));
	}

	@Test
	void noCompressionForResponseWithInvalidContentType() throws Exception {
		Compression compression = enabled((it) -> it.setMimeTypes(new String[] { "application/json" }));
		assertNotCompressed(exchange(compression, "test~plain", "GET", null));
	}

	@Test
	void responseWithAMalformedContentTypeIsSentInFullUncompressed() throws Exception {
		assertNotCompressed(exchange(enabled(), "not a mime;;=", "GET", null));
	}

	private static Compression enabled() {
		return enabled((compression) -> {
		});
	}

	private static Compression enabled(Consumer<Compression> customizer) {
		Compression compression = new Compression();
		compression.setEnabled(true);
		customizer.accept(compression);
		return compression;
	}

	private static HttpResponse<byte[]> exchange(Compression compression, String contentType, String method,
			@Nullable String userAgent) throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setAddress(InetAddress.getLoopbackAddress());
			factory.setCompression(compression);
		}, new CharsHandler(contentType))) {
			HttpRequest.Builder request = HttpRequest.newBuilder(server.uri("/"))
				.timeout(Duration.ofSeconds(30))
				.header("Accept-Encoding", "gzip")
				.method(method, HttpRequest.BodyPublishers.noBody());
			if (userAgent != null) {
				request.header("User-Agent", userAgent);
			}
			return server.client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
		}
	}

	private static void assertCompressed(HttpResponse<byte[]> response) throws IOException {
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Encoding")).hasValue("gzip");
		assertThat(response.body().length).isLessThan(CONTENT_SIZE);
		try (InputStream gzip = new GZIPInputStream(new ByteArrayInputStream(response.body()))) {
			assertThat(gzip.readAllBytes()).as("the whole body").hasSize(CONTENT_SIZE).containsOnly((byte) 'F');
		}
	}

	private static void assertNotCompressed(HttpResponse<byte[]> response) {
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Encoding")).isEmpty();
		assertThat(response.body()).as("the whole body").hasSize(CONTENT_SIZE).containsOnly((byte) 'F');
	}

	/** Boot's {@code CharsHandler}: 3000 bytes with a Content-Length and the given Content-Type. */
	private static final class CharsHandler implements HttpHandler {

		private final String contentType;

		CharsHandler(String contentType) {
			this.contentType = contentType;
		}

		@Override
		public Mono<Void> handle(ServerHttpRequest request, ServerHttpResponse response) {
			byte[] bytes = new byte[CONTENT_SIZE];
			Arrays.fill(bytes, (byte) 'F');
			response.setStatusCode(HttpStatus.OK);
			response.getHeaders().set(HttpHeaders.CONTENT_TYPE, this.contentType);
			response.getHeaders().setContentLength(bytes.length);
			DataBuffer buffer = response.bufferFactory().wrap(bytes);
			return response.writeWith(Mono.just(buffer));
		}

	}

}
