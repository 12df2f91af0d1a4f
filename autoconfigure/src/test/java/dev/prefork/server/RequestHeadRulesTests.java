package dev.prefork.server;

import java.nio.charset.StandardCharsets;
import java.util.Collections;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link RequestHeadRules}, one table per rule. Every head is decoded by Netty's own
 * {@link HttpRequestDecoder}, so the rules are judged on exactly what the guard receives; a row
 * answered {@code decoder} never reaches the rules because the decoder already refused it (the
 * server then answers 400 and closes).
 */
class RequestHeadRulesTests {

	/** Decoded as the factory configures reactor-netty's decoder, with the default settings. */
	private static final ServerSettings SETTINGS = ServerSettings.builder().build();

	@ParameterizedTest(name = "{0} -> {1}")
	@CsvSource(delimiter = '|', textBlock = """
			HTTP/1.1   | accept
			HTTP/1.0   | accept
			HTTP/2.0   | 505
			HTTP/0.9   | 505
			HTTP/1.10  | decoder
			HTTP/1     | decoder
			HTTPS/1.1  | decoder
			""")
	void versionRule(String version, String verdict) {
		assertThat(verdict("GET / " + version, "Host: x")).isEqualTo(verdict);
	}

	@ParameterizedTest(name = "{0} {1} -> {2}")
	@CsvSource(delimiter = '|', textBlock = """
			GET     | /a/b?c=d            | accept
			GET     | http://x/a          | accept
			OPTIONS | *                   | accept
			GET     | *                   | 400
			GET     | a/b                 | 400
			GET     | x:80                | 400
			""")
	void targetRule(String method, String target, String verdict) {
		assertThat(verdict(method + " " + target + " HTTP/1.1", "Host: x")).isEqualTo(verdict);
	}

	@ParameterizedTest(name = "{0} with {1} -> {2}")
	@CsvSource(delimiter = '|', textBlock = """
			HTTP/1.1 | Host: x                  | accept
			HTTP/1.1 | Host: [::1]:8080         | accept
			HTTP/1.1 | ''                       | 400
			HTTP/1.1 | Host: a ; Host: b        | 400
			HTTP/1.1 | Host: a b                | 400
			HTTP/1.0 | ''                       | accept
			HTTP/1.0 | Host: a ; Host: b        | 400
			""")
	void hostRule(String version, String fields, String verdict) {
		assertThat(verdict("GET / " + version, fields(fields))).isEqualTo(verdict);
	}

	@ParameterizedTest(name = "{0} with {1} -> {2}")
	@CsvSource(delimiter = '|', textBlock = """
			HTTP/1.1 | Transfer-Encoding: chunked                                  | accept
			HTTP/1.1 | Transfer-Encoding: gzip, chunked                            | 501
			HTTP/1.1 | Transfer-Encoding: gzip ; Transfer-Encoding: chunked        | 400
			HTTP/1.1 | Transfer-Encoding: chunked ; Transfer-Encoding: chunked     | decoder
			HTTP/1.1 | Transfer-Encoding: chunked, gzip                            | decoder
			HTTP/1.1 | Transfer-Encoding: chunked ; Content-Length: 5              | decoder
			HTTP/1.0 | Transfer-Encoding: chunked                                  | decoder
			""")
	void framingRule(String version, String fields, String verdict) {
		assertThat(verdict("POST / " + version, fields("Host: x ; " + fields))).isEqualTo(verdict);
	}

	/**
	 * Netty's RFC 9112 framing checks can be switched off JVM-wide (system property
	 * {@code io.netty.handler.codec.http.rfc9112TransferEncoding=false}); the rules still refuse
	 * what would otherwise be framed two ways.
	 */
	@ParameterizedTest(name = "{0} with {1} -> {2}")
	@CsvSource(delimiter = '|', textBlock = """
			HTTP/1.0 | Transfer-Encoding: chunked                                  | 400
			HTTP/1.1 | Transfer-Encoding: gzip ; Transfer-Encoding: chunked        | 400
			HTTP/1.1 | Transfer-Encoding: gzip, chunked                            | 501
			""")
	void framingRuleWithoutNettysRfc9112Checks(String version, String fields, String verdict) {
		HttpDecoderConfig lenient = decoderConfig().setUseRfc9112TransferEncoding(false);
		assertThat(verdict(lenient, "POST / " + version, fields("Host: x ; " + fields))).isEqualTo(verdict);
	}

	@Test
	void moreFieldsThanTheLimitAre431() {
		String fields = "Host: x ; " + String.join(" ; ", Collections.nCopies(SETTINGS.limitRequestFields(), "X-F: v"));
		assertThat(verdict("GET / HTTP/1.1", fields(fields))).isEqualTo("431");
	}

	@Test
	void aFieldLineOverTheSizeLimitIs431() {
		String value = "v".repeat(SETTINGS.limitRequestFieldSize() - "X-F: ".length() + 1);
		assertThat(verdict("GET / HTTP/1.1", "Host: x", "X-F: " + value)).isEqualTo("431");
		assertThat(verdict("GET / HTTP/1.1", "Host: x", "X-F: " + value.substring(1))).isEqualTo("accept");
	}

	/** Field lines written in a table cell, separated by {@code " ; "}. */
	private static String[] fields(String cell) {
		return cell.isBlank() ? new String[0] : cell.split(" ; ");
	}

	/**
	 * Decodes the head with Netty and judges it: {@code accept}, the refusal's status code, or
	 * {@code decoder} when Netty's decoder refused it first.
	 */
	static String verdict(String requestLine, String... fieldLines) {
		return verdict(decoderConfig(), requestLine, fieldLines);
	}

	private static String verdict(HttpDecoderConfig config, String requestLine, String... fieldLines) {
		StringBuilder head = new StringBuilder(requestLine).append("\r\n");
		for (String field : fieldLines) {
			head.append(field.trim()).append("\r\n");
		}
		EmbeddedChannel channel = new EmbeddedChannel(new HttpRequestDecoder(config));
		try {
			channel.writeInbound(Unpooled.copiedBuffer(head.append("\r\n"), StandardCharsets.ISO_8859_1));
			HttpRequest request = channel.readInbound();
			try {
				if (!request.decoderResult().isSuccess()) {
					return "decoder";
				}
				HttpResponseStatus refusal = RequestHeadRules.check(request, SETTINGS.limitRequestFields(),
						SETTINGS.limitRequestFieldSize());
				return (refusal != null) ? Integer.toString(refusal.code()) : "accept";
			}
			finally {
				ReferenceCountUtil.release(request);
			}
		}
		finally {
			channel.finishAndReleaseAll();
		}
	}

	private static HttpDecoderConfig decoderConfig() {
		return new HttpDecoderConfig().setMaxInitialLineLength(SETTINGS.limitRequestLine())
			.setMaxHeaderSize(SETTINGS.maxHeaderSectionSize())
			.setValidateHeaders(true);
	}

}
