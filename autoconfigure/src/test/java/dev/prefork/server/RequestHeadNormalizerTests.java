package dev.prefork.server;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link RequestHeadNormalizer}: an accepted head is handed on as RFC 9110 §2.5 and
 * RFC 9112 §3.2.2 say to process it.
 */
class RequestHeadNormalizerTests {

	@Test
	void higherMinorVersionIsHandedOnAsHttp11() {
		HttpRequest request = request(HttpMethod.GET, "/", HttpVersion.valueOf("HTTP/1.2"), "x");
		RequestHeadNormalizer.normalize(request);
		assertThat(request.protocolVersion()).isSameAs(HttpVersion.HTTP_1_1);
	}

	@Test
	void supportedVersionsAreLeftAlone() {
		HttpRequest request = request(HttpMethod.GET, "/", HttpVersion.HTTP_1_0, null);
		RequestHeadNormalizer.normalize(request);
		assertThat(request.protocolVersion()).isSameAs(HttpVersion.HTTP_1_0);
	}

	@ParameterizedTest(name = "{0} {1} (Host: {2}) -> {4} (Host: {3})")
	@CsvSource(delimiter = '|', nullValues = "<none>", textBlock = """
			GET     | http://target.example/a?b=c    | other.example | target.example      | /a?b=c
			GET     | HTTP://Target.example:8080/a   | other.example | Target.example:8080 | /a
			GET     | https://[::1]:8443/a           | other.example | [::1]:8443          | /a
			GET     | http://target.example          | other.example | target.example      | /
			GET     | http://target.example?q        | other.example | target.example      | /?q
			GET     | http://target.example/a        | <none>        | target.example      | /a
			OPTIONS | http://target.example          | other.example | target.example      | *
			OPTIONS | http://target.example/a        | other.example | target.example      | /a
			GET     | /a?b                           | other.example | other.example       | /a?b
			OPTIONS | *                              | other.example | other.example       | *
			""")
	void absoluteFormAuthorityReplacesTheHostFieldAndTheTargetBecomesOriginForm(String method, String target,
			String host, String expectedHost, String expectedTarget) {
		HttpRequest request = request(HttpMethod.valueOf(method), target, HttpVersion.HTTP_1_1, host);
		RequestHeadNormalizer.normalize(request);
		assertThat(request.headers().getAll(HttpHeaderNames.HOST)).containsExactly(expectedHost);
		assertThat(request.uri()).isEqualTo(expectedTarget);
	}

	private static HttpRequest request(HttpMethod method, String target, HttpVersion version, @Nullable String host) {
		HttpRequest request = new DefaultHttpRequest(version, method, target);
		if (host != null) {
			request.headers().set(HttpHeaderNames.HOST, host);
		}
		return request;
	}

}
