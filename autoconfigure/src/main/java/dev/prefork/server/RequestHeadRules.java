package dev.prefork.server;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.jspecify.annotations.Nullable;

/**
 * The rules a decoded request head must meet before any application code sees it: gunicorn's
 * field limits and the RFC 9110/9112 rules that Netty's decoder lets through. The answer is the
 * status to refuse the request with, or {@code null} to accept it; nothing is changed, so every
 * rule can be tested on its own with a head decoded by Netty.
 */
final class RequestHeadRules {

	private RequestHeadRules() {
	}

	static @Nullable HttpResponseStatus check(HttpRequest request, int limitRequestFields, int limitRequestFieldSize) {
		HttpVersion version = request.protocolVersion();
		if (version.majorVersion() != 1 || version.minorVersion() > 1) {
			return HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED;
		}
		HttpHeaders headers = request.headers();
		if (headers.size() > limitRequestFields) {
			return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
		}
		for (Map.Entry<String, String> header : headers) {
			if (header.getKey().length() + 2 + header.getValue().length() > limitRequestFieldSize) {
				return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
			}
		}
		HttpResponseStatus host = checkHost(version, headers.getAll(HttpHeaderNames.HOST));
		if (host != null) {
			return host;
		}
		HttpResponseStatus framing = checkFraming(version, headers);
		if (framing != null) {
			return framing;
		}
		return checkTarget(request.method(), request.uri());
	}

	private static @Nullable HttpResponseStatus checkHost(HttpVersion version, List<String> hosts) {
		if (hosts.size() > 1 || (hosts.isEmpty() && version.minorVersion() == 1)) {
			return HttpResponseStatus.BAD_REQUEST; // RFC 9112 §3.2: exactly one Host in HTTP/1.1
		}
		if (!hosts.isEmpty() && !HostSyntax.isValid(hosts.get(0))) {
			return HttpResponseStatus.BAD_REQUEST;
		}
		return null;
	}

	private static @Nullable HttpResponseStatus checkFraming(HttpVersion version, HttpHeaders headers) {
		List<String> encodings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
		if (encodings.isEmpty()) {
			return null;
		}
		if (encodings.size() > 1 || version.minorVersion() == 0 || headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
			return HttpResponseStatus.BAD_REQUEST; // ambiguous framing is how requests get smuggled
		}
		String[] codings = encodings.get(0).split(",");
		for (int i = 0; i < codings.length; i++) {
			String coding = codings[i].trim().toLowerCase(Locale.ROOT);
			if (!coding.equals("chunked")) {
				return (coding.isEmpty() || i == codings.length - 1) ? HttpResponseStatus.BAD_REQUEST
						: HttpResponseStatus.NOT_IMPLEMENTED;
			}
			if (i != codings.length - 1) {
				return HttpResponseStatus.BAD_REQUEST; // chunked must be the final coding, once
			}
		}
		return null;
	}

	private static @Nullable HttpResponseStatus checkTarget(HttpMethod method, String uri) {
		if (uri.startsWith("/")) {
			return null;
		}
		if (uri.equals("*")) {
			return (method == HttpMethod.OPTIONS) ? null : HttpResponseStatus.BAD_REQUEST;
		}
		int scheme = uri.indexOf("://");
		if (scheme > 0 && uri.substring(0, scheme).chars().allMatch(Character::isLetter)) {
			return null; // absolute-form, which servers must accept (RFC 9112 §3.2.2)
		}
		if (method == HttpMethod.CONNECT) {
			return HttpResponseStatus.METHOD_NOT_ALLOWED; // we are an origin server, not a proxy
		}
		return HttpResponseStatus.BAD_REQUEST;
	}

}
