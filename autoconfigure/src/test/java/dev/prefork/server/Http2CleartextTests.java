package dev.prefork.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.web.server.Http2;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code server.http2.enabled=true} without TLS: HTTP/1.1, h2c by {@code Upgrade} and h2c by
 * prior knowledge on one port. HTTP/1.1 connections keep every HTTP/1.1 check; connections that
 * became HTTP/2 never see an HTTP/1.1 byte from them.
 */
class Http2CleartextTests implements Http11StrictnessContract, Http2LimitsContract {

	private static final int FRAME_SETTINGS = 0x4;

	private static final int FRAME_GOAWAY = 0x7;

	private static final Duration HEADER_TIMEOUT = Http11StrictnessContract.HEADER_TIMEOUT;

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

	@Override
	public TestServer startHttp2Server() {
		return TestServer.start((factory) -> {
			Http2 http2 = new Http2();
			http2.setEnabled(true);
			factory.setHttp2(http2);
			factory.setHeaderTimeout(HEADER_TIMEOUT);
			factory.setLimitRequestFieldSize(FIELD_SIZE);
		});
	}

	@Override
	public H2Client openHttp2(TestServer server) throws Exception {
		return H2Client.priorKnowledge(server.port());
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
			assertThat(guards.body()).as("HTTP/2 guards only on the upgraded connection")
				.isEqualTo("prefork.h2StreamGuard,prefork.h2FlushConsolidation,prefork.h2StreamBudget");
		}
	}

	@Test
	void streamsOnAConnectionUpgradedToH2cAreHeldToTheLimits() throws Exception {
		try (TestServer server = startServer()) {
			HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
			HttpResponse<String> upgrade = client.send(HttpRequest.newBuilder(server.uri("/hello")).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(upgrade.version()).isEqualTo(HttpClient.Version.HTTP_2);
			HttpRequest.Builder crowded = HttpRequest.newBuilder(server.uri("/hello"));
			for (int i = 0; i < 150; i++) {
				crowded.header("x-field-" + i, "v");
			}
			HttpResponse<String> refused = client.send(crowded.build(), HttpResponse.BodyHandlers.ofString());
			assertThat(refused.version()).isEqualTo(HttpClient.Version.HTTP_2);
			assertThat(refused.statusCode()).isEqualTo(431);
			assertThat(server.invocations("/hello")).isEqualTo(1);
		}
	}

	@Test
	void aHeaderSectionLimitIsTheHeaderListSizeAdvertisedAndEnforced() throws Exception {
		// Boot's server.max-http-request-header-size: on Boot's Netty server it is
		// SETTINGS_MAX_HEADER_LIST_SIZE as it is, and so it is here.
		try (TestServer server = TestServer.start((factory) -> {
			Http2 http2 = new Http2();
			http2.setEnabled(true);
			factory.setHttp2(http2);
			factory.setHeaderSectionLimit(4096);
		}); H2Client client = H2Client.priorKnowledge(server.port())) {
			assertThat(client.serverSettings().maxHeaderListSize()).isEqualTo(4096);
			assertThat(client.get("/hello", Map.of("x-one", "v".repeat(1500))).status()).isEqualTo("200");
			Map<String, String> over = new LinkedHashMap<>();
			for (int i = 0; i < 3; i++) {
				over.put("x-field-" + i, "v".repeat(1500));
			}
			assertThat(client.get("/hello", over).status()).as("4.5 KB of fields").isEqualTo("431");
			assertThat(client.get("/hello", Map.of()).status()).isEqualTo("200");
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
			assertThat(client.get("/guards", Map.of()).body()).as("HTTP/2 guards only, the head timer done")
				.isEqualTo("prefork.h2StreamGuard,prefork.h2FlushConsolidation,prefork.h2StreamBudget");
		}
	}

	@Test
	void priorKnowledgeConnectionThatSendsNoRequestGetsOnlyHttp2FramesUntilItIsClosed() throws Exception {
		try (TestServer server = startServer(); Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5000);
			socket.setSoTimeout(5_000);
			// The connection preface, then an empty SETTINGS frame: HTTP/2 begun, no request.
			socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
			socket.getOutputStream().write(new byte[] { 0, 0, 0, 0x4, 0, 0, 0, 0, 0 });
			long start = System.nanoTime();
			byte[] received = socket.getInputStream().readAllBytes(); // until the server closes
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(HEADER_TIMEOUT.multipliedBy(4));
			assertThat(new String(received, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1");
			assertThat(frameTypes(received)).startsWith(FRAME_SETTINGS).endsWith(FRAME_GOAWAY);
		}
	}

	/** The type of each frame in a run of whole HTTP/2 frames. */
	private static List<Integer> frameTypes(byte[] frames) {
		List<Integer> types = new ArrayList<>();
		int at = 0;
		while (at + 9 <= frames.length) {
			int length = ((frames[at] & 0xff) << 16) | ((frames[at + 1] & 0xff) << 8) | (frames[at + 2] & 0xff);
			types.add(frames[at + 3] & 0xff);
			at += 9 + length;
		}
		assertThat(at).as("whole frames only").isEqualTo(frames.length);
		return types;
	}

}
