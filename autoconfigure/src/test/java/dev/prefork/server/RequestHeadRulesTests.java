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

	/**
	 * RFC 9112 §2.3: {@code HTTP-version = HTTP-name "/" DIGIT "." DIGIT}, {@code HTTP-name} being
	 * case-sensitive {@code HTTP}. RFC 9110 §2.5: a higher minor version of HTTP/1 is answered as
	 * the highest we implement (1.1); another major version gets 505.
	 */
	@ParameterizedTest(name = "{0} -> {1}")
	@CsvSource(delimiter = '|', textBlock = """
			HTTP/1.1   | accept
			HTTP/1.0   | accept
			HTTP/1.2   | accept
			HTTP/1.9   | accept
			HTTP/2.0   | 505
			HTTP/3.0   | 505
			HTTP/0.9   | 505
			http/1.1   | 400
			Http/1.0   | 400
			HTTP/1.10  | decoder
			HTTP/01.1  | decoder
			HTTP/1     | decoder
			HTTP/1.1.1 | decoder
			HTTPS/1.1  | decoder
			""")
	void versionRule(String version, String verdict) {
		assertThat(verdict("GET / " + version, "Host: x")).isEqualTo(verdict);
	}

	/**
	 * RFC 9112 §3: {@code request-line = method SP request-target SP HTTP-version}, the method a
	 * token. Netty's decoder refuses what does not split into those three words; it splits on
	 * runs of whitespace, the leniency RFC 9112 §3 allows.
	 */
	@ParameterizedTest(name = "[{0}] -> {1}")
	@CsvSource(delimiter = '|', textBlock = """
			GET / HTTP/1.1         | accept
			GET  /  HTTP/1.1       | accept
			get / HTTP/1.1         | accept
			-BLARGH / HTTP/1.1     | accept
			G(ET / HTTP/1.1        | decoder
			GET:x / HTTP/1.1       | decoder
			GET /                  | decoder
			'GET / HTTP/1.1 '      | decoder
			GET / HTTP/1.1 x       | decoder
			GET /a b HTTP/1.1      | decoder
			""")
	void requestLineRule(String requestLine, String verdict) {
		assertThat(verdict(requestLine, "Host: x")).isEqualTo(verdict);
	}

	/**
	 * RFC 9112 §3.2.1: origin-form is {@code absolute-path [ "?" query ]}, made of RFC 3986
	 * {@code pchar}s, {@code "/"} and {@code "?"}; a fragment, a raw non-ASCII byte or a broken
	 * percent-encoding is not a request-target.
	 */
	@ParameterizedTest(name = "{0} -> {1}")
	@CsvSource(delimiter = '|', textBlock = """
			/                        | accept
			/a/b;c=d?x=1&y=/?z       | accept
			/caf%C3%A9               | accept
			//keeping_slashes        | accept
			/a:b@c!$&()*+,;=-._~      | accept
			/a#frag                  | 400
			/a%zz                    | 400
			/a%4                     | 400
			/with_"quotes"           | 400
			/a{b}                    | 400
			'/a|b'                   | 400
			/a\\b                    | 400
			/a^b                     | 400
			/a<b>                    | 400
			/café                    | 400
			a/b                      | 400
			""")
	void originFormRule(String target, String verdict) {
		assertThat(verdict("GET " + target + " HTTP/1.1", "Host: x")).isEqualTo(verdict);
	}

	/**
	 * RFC 9112 §3.2.2: origin servers accept absolute-form. RFC 9110 §4.2.1/§4.2.2: an http(s)
	 * URI has a non-empty host, the scheme compared case-insensitively; §4.2.4: userinfo is an
	 * error. This server serves only http and https URIs.
	 */
	@ParameterizedTest(name = "{0} -> {1}")
	@CsvSource(delimiter = '|', textBlock = """
			http://x/a                 | accept
			HTTP://x/a                 | accept
			hTTps://x:8443/a?b         | accept
			http://x                   | accept
			http://x?q                 | accept
			http://[::1]:8080/         | accept
			http://x/a#f               | 400
			http://x/a%zz              | 400
			http://user@x/a            | 400
			http://user:pw@x:80/a      | 400
			http:///a                  | 400
			http://:80/a               | 400
			http://x:8o/a              | 400
			http:x/a                   | 400
			ftp://x/a                  | 400
			urn:isbn:0451450523        | 400
			""")
	void absoluteFormRule(String target, String verdict) {
		assertThat(verdict("GET " + target + " HTTP/1.1", "Host: x")).isEqualTo(verdict);
	}

	/**
	 * RFC 9112 §3.2.3/§3.2.4 and RFC 9110 §9.3.6: authority-form only with CONNECT, CONNECT only
	 * with authority-form ({@code host ":" port}), {@code *} only with OPTIONS. A well-formed
	 * CONNECT gets 501: an origin server opens no tunnels, and a 405 would owe an Allow field
	 * (RFC 9110 §15.5.6) naming methods no request-head check can know.
	 */
	@ParameterizedTest(name = "{0} {1} -> {2}")
	@CsvSource(delimiter = '|', textBlock = """
			OPTIONS | *             | accept
			OPTIONS | http://x      | accept
			GET     | *             | 400
			POST    | *             | 400
			GET     | x:80          | 400
			CONNECT | x:443         | 501
			CONNECT | [::1]:443     | 501
			CONNECT | x             | 400
			CONNECT | x:            | 400
			CONNECT | :443          | 400
			CONNECT | user@x:443    | 400
			CONNECT | /             | 400
			CONNECT | *             | 400
			CONNECT | http://x/     | 400
			""")
	void targetFormPerMethodRule(String method, String target, String verdict) {
		assertThat(verdict(method + " " + target + " HTTP/1.1", "Host: x")).isEqualTo(verdict);
	}

	@ParameterizedTest(name = "{0} with {1} -> {2}")
	@CsvSource(delimiter = '|', textBlock = """
			HTTP/1.1 | Host: x                  | accept
			HTTP/1.1 | Host: [::1]:8080         | accept
			HTTP/1.1 | ''                       | 400
			HTTP/1.1 | Host: a ; Host: b        | 400
			HTTP/1.1 | Host: a b                | 400
			HTTP/1.1 | Host: a%zz               | 400
			HTTP/1.1 | Host: a%41               | accept
			HTTP/1.2 | ''                       | 400
			HTTP/1.0 | ''                       | accept
			HTTP/1.0 | Host: a ; Host: b        | 400
			""")
	void hostRule(String version, String fields, String verdict) {
		assertThat(verdict("GET / " + version, fields(fields))).isEqualTo(verdict);
	}

	/**
	 * RFC 9112 §3.2: the Host rules hold for every HTTP/1.1 request, absolute-form included, even
	 * though §3.2.2 then has the target's authority win over the Host field's value.
	 */
	@ParameterizedTest(name = "{0} with {1} -> {2}")
	@CsvSource(delimiter = '|', textBlock = """
			HTTP/1.1 | Host: other.example      | accept
			HTTP/1.1 | ''                       | 400
			HTTP/1.1 | Host: a ; Host: b        | 400
			HTTP/1.0 | ''                       | accept
			""")
	void hostRuleForAbsoluteForm(String version, String fields, String verdict) {
		assertThat(verdict("GET http://x/a " + version, fields(fields))).isEqualTo(verdict);
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
			HTTP/1.2 | Transfer-Encoding: chunked                                  | decoder
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
