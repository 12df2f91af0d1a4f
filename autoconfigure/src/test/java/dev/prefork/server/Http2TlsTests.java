package dev.prefork.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.web.server.Http2;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code server.http2.enabled=true} with TLS: ALPN picks {@code h2} or {@code http/1.1} per
 * connection. Connections that negotiated HTTP/1.1 keep every HTTP/1.1 check.
 */
class Http2TlsTests implements Http11StrictnessContract, Http2LimitsContract {

	private static final Duration HEADER_TIMEOUT = Http11StrictnessContract.HEADER_TIMEOUT;

	@TempDir
	static Path directory;

	private static TestCertificate certificate;

	@BeforeAll
	static void createCertificate() throws Exception {
		certificate = TestCertificate.create(directory);
	}

	@Override
	public TestServer startServer() {
		return TestServer.start((factory) -> {
			Http2 http2 = new Http2();
			http2.setEnabled(true);
			factory.setHttp2(http2);
			factory.setSsl(certificate.ssl());
			factory.setHeaderTimeout(HEADER_TIMEOUT);
		});
	}

	@Override
	public RawHttp openHttp11(TestServer server) throws Exception {
		SSLSocket socket = certificate.connect(server.port(), "http/1.1");
		assertThat(socket.getApplicationProtocol()).isEqualTo("http/1.1");
		return new RawHttp(socket);
	}

	@Override
	public TestServer startHttp2Server() {
		return TestServer.start((factory) -> {
			Http2 http2 = new Http2();
			http2.setEnabled(true);
			factory.setHttp2(http2);
			factory.setSsl(certificate.ssl());
			factory.setHeaderTimeout(HEADER_TIMEOUT);
			factory.setLimitRequestFieldSize(FIELD_SIZE);
		});
	}

	@Override
	public H2Client openHttp2(TestServer server) throws Exception {
		return H2Client.tls(server.port(), certificate.trust());
	}

	@Test
	void jdkClientNegotiatesH2AndIsServed() throws Exception {
		try (TestServer server = startServer()) {
			HttpClient client = HttpClient.newBuilder()
				.version(HttpClient.Version.HTTP_2)
				.sslContext(certificate.clientContext())
				.build();
			URI uri = URI.create("https://127.0.0.1:" + server.port() + "/hello");
			HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
			assertThat(response.body()).isEqualTo("hello");
		}
	}

	@Test
	void h2ConnectionIsServedAndKeptPastTheHeaderTimeout() throws Exception {
		try (TestServer server = startServer(); H2Client client = H2Client.tls(server.port(), certificate.trust())) {
			assertThat(client.get("/hello", Map.of()).status()).isEqualTo("200");
			assertThat(client.isClosedWithin(HEADER_TIMEOUT.multipliedBy(3))).isFalse();
			assertThat(client.get("/hello", Map.of()).body()).isEqualTo("hello");
			assertThat(client.get("/guards", Map.of()).body()).as("HTTP/2 guards only, the head timer done")
				.isEqualTo("prefork.h2StreamGuard,prefork.h2FlushConsolidation,prefork.h2StreamBudget");
		}
	}

}
