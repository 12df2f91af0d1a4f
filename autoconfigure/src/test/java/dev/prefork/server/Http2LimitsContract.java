package dev.prefork.server;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request limits on HTTP/2 streams, and the head timeout of an HTTP/2 connection. The HTTP/2
 * test classes implement it for their set-up's HTTP/2 connections.
 */
interface Http2LimitsContract {

	int FIELD_SIZE = 2000;

	Duration HEADER_TIMEOUT = Http11StrictnessContract.HEADER_TIMEOUT;

	/**
	 * Starts a server with the class's set-up, {@code limit-request-field-size} {@link #FIELD_SIZE},
	 * {@link #HEADER_TIMEOUT} and the other limits at their defaults.
	 */
	TestServer startHttp2Server() throws Exception;

	/** Opens an HTTP/2 connection to it with Netty's HTTP/2 client. */
	H2Client openHttp2(TestServer server) throws Exception;

	@Test
	default void h2StreamWithTooManyHeaderFieldsGets431AndTheConnectionServesOn() throws Exception {
		try (TestServer server = startHttp2Server(); H2Client client = openHttp2(server)) {
			Map<String, String> fields = new LinkedHashMap<>();
			for (int i = 0; i < 150; i++) {
				fields.put("x-field-" + i, "v");
			}
			assertThat(client.get("/hello", fields).status()).isEqualTo("431");
			assertThat(server.invocations("/hello")).isZero();
			assertThat(client.get("/hello", Map.of()).status()).isEqualTo("200");
		}
	}

	@Test
	default void h2RequestRefusedBeforeItsBodyIsAnswered431AndItsStreamResetWithoutError() throws Exception {
		try (TestServer server = startHttp2Server(); H2Client client = openHttp2(server)) {
			Http2Headers headers = client.headers("/hello").method("POST");
			for (int i = 0; i < 150; i++) {
				headers.add("x-field-" + i, "v");
			}
			H2Client.Response response = client.send(headers, false);
			assertThat(response.status()).isEqualTo("431");
			assertThat(response.resetCode()).as("RST_STREAM NO_ERROR").isEqualTo(0L);
			assertThat(client.get("/hello", Map.of()).status()).isEqualTo("200");
		}
	}

	@Test
	default void h2StreamWithAFieldOverTheSizeLimitGets431() throws Exception {
		try (TestServer server = startHttp2Server(); H2Client client = openHttp2(server)) {
			H2Client.Response response = client.get("/hello", Map.of("x-big", "b".repeat(FIELD_SIZE)));
			assertThat(response.status()).isEqualTo("431");
			assertThat(server.invocations("/hello")).isZero();
		}
	}

	@Test
	default void h2CookieCrumbsCountAsTheOneFieldTheyAreInHttp11() throws Exception {
		try (TestServer server = startHttp2Server(); H2Client client = openHttp2(server)) {
			Http2Headers small = client.headers("/hello");
			for (int i = 0; i < 150; i++) {
				small.add("cookie", "c" + i + "=v");
			}
			assertThat(client.send(small).status()).as("150 crumbs, one cookie line of ~1 KB").isEqualTo("200");
			Http2Headers large = client.headers("/hello");
			for (int i = 0; i < 150; i++) {
				large.add("cookie", "c" + i + "=" + "v".repeat(20));
			}
			assertThat(client.send(large).status()).as("one cookie line over the field size").isEqualTo("431");
		}
	}

	@Test
	default void h2HeaderListSizeIsDerivedFromTheLimitsAndAdvertised() throws Exception {
		try (TestServer server = startHttp2Server(); H2Client client = openHttp2(server)) {
			// HPACK counts 32 octets per field on top of name and value: the HTTP/1.1 section bound
			// (64 KiB here), 32 for each of the 100 fields and 4 pseudo-header fields, and the
			// request line (limit-request-line, 4094), which HTTP/2 carries in pseudo-header fields.
			long expected = 65536 + 32 * (100 + 4) + 4094;
			assertThat(client.serverSettings().maxHeaderListSize()).isEqualTo(expected);
			// 20 fields of 1500 bytes: within every field limit, 30 KB in all, beyond Netty's default 8 KB
			Map<String, String> within = new LinkedHashMap<>();
			for (int i = 0; i < 20; i++) {
				within.put("x-field-" + i, "v".repeat(1500));
			}
			assertThat(client.get("/hello", within).status()).isEqualTo("200");
			// 45 fields of 1900 bytes: within every field limit but over the list size
			Map<String, String> over = new LinkedHashMap<>();
			for (int i = 0; i < 45; i++) {
				over.put("x-field-" + i, "v".repeat(1900));
			}
			assertThat(client.get("/hello", over).status()).as("refused by the HTTP/2 decoder").isEqualTo("431");
			assertThat(client.get("/hello", Map.of()).status()).isEqualTo("200");
		}
	}

	@Test
	default void h2ConnectionThatSendsNoRequestIsClosedWithGoAwayWithinTheHeaderTimeout() throws Exception {
		try (TestServer server = startHttp2Server(); H2Client client = openHttp2(server)) {
			long start = System.nanoTime();
			assertThat(client.isClosedWithin(Duration.ofSeconds(5))).as("closed within 5 s").isTrue();
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(HEADER_TIMEOUT.multipliedBy(4));
			assertThat(client.goAwayErrorCode()).as("GOAWAY NO_ERROR").isEqualTo(0L);
		}
	}

}
