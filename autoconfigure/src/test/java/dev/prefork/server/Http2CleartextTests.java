package dev.prefork.server;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.web.server.Http2;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code server.http2.enabled=true} without TLS: HTTP/1.1, h2c by {@code Upgrade} and h2c by
 * prior knowledge on one port. HTTP/1.1 connections keep every HTTP/1.1 check; connections that
 * became HTTP/2 never see an HTTP/1.1 byte from them.
 */
class Http2CleartextTests implements Http11StrictnessContract {

	@Override
	public TestServer startServer() {
		return TestServer.start((factory) -> {
			Http2 http2 = new Http2();
			http2.setEnabled(true);
			factory.setHttp2(http2);
			factory.setHeaderTimeout(HEADER_TIMEOUT);
		});
	}

	@Override
	public RawHttp openHttp11(TestServer server) throws Exception {
		return new RawHttp(server.port());
	}

	@Test
	void jdkClientUpgradesToH2cAndKeepsBeingServedPastTheHeaderTimeout() throws Exception {
		try (TestServer server = startServer()) {
			HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
			HttpResponse<String> first = client.send(HttpRequest.newBuilder(server.uri("/hello")).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
			assertThat(first.body()).isEqualTo("hello");
			Thread.sleep(HEADER_TIMEOUT.multipliedBy(3).toMillis()); // idle on the upgraded connection
			HttpResponse<String> second = client.send(HttpRequest.newBuilder(server.uri("/hello")).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(second.version()).isEqualTo(HttpClient.Version.HTTP_2);
			assertThat(second.statusCode()).isEqualTo(200);
			HttpResponse<String> guards = client.send(HttpRequest.newBuilder(server.uri("/guards")).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(guards.version()).isEqualTo(HttpClient.Version.HTTP_2);
			assertThat(guards.body()).as("no HTTP/1.1 guard is left on the upgraded connection").isEmpty();
		}
	}

	@Test
	void priorKnowledgeConnectionIsServedAndKeptPastTheHeaderTimeout() throws Exception {
		try (TestServer server = startServer(); H2Client client = H2Client.priorKnowledge(server.port())) {
			assertThat(client.get("/hello", Map.of()).status()).isEqualTo("200");
			assertThat(client.isClosedWithin(HEADER_TIMEOUT.multipliedBy(3))).isFalse();
			H2Client.Response second = client.get("/hello", Map.of());
			assertThat(second.status()).isEqualTo("200");
			assertThat(second.body()).isEqualTo("hello");
			assertThat(client.get("/guards", Map.of()).body()).as("no HTTP/1.1 guard on an HTTP/2 connection")
				.isEmpty();
		}
	}

}
