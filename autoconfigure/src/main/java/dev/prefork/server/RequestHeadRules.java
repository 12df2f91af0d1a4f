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
		HttpResponseStatus unsupported = checkVersion(version);
		if (unsupported != null) {
			return unsupported;
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

	private static @Nullable HttpResponseStatus checkVersion(HttpVersion version) {
		if (version.majorVersion() != 1) {
			return HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED; // RFC 9110 §2.5, §15.6.6
		}
		if (version.minorVersion() <= 1 && version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
			// RFC 9112 §2.3: HTTP-name is case-sensitive. Netty upper-cases the version before
			// parsing it, but hands the exact text "HTTP/1.1" or "HTTP/1.0" over as one of its two
			// constants, so another instance of those versions was spelled in another case. (For
			// HTTP/1.2 and later the original case cannot be told.)
			return HttpResponseStatus.BAD_REQUEST;
		}
		return null; // HTTP/1.2 to 1.9 are processed as HTTP/1.1 (RFC 9110 §2.5)
	}

	private static @Nullable HttpResponseStatus checkHost(HttpVersion version, List<String> hosts) {
		if (hosts.size() > 1 || (hosts.isEmpty() && version.minorVersion() >= 1)) {
			// RFC 9112 §3.2: exactly one Host in HTTP/1.1, whatever the target's form
			return HttpResponseStatus.BAD_REQUEST;
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

	private static @Nullable HttpResponseStatus checkTarget(HttpMethod method, String target) {
		if (HttpMethod.CONNECT.equals(method)) {
			// RFC 9110 §9.3.6: CONNECT asks for a tunnel to host:port, which an origin server does
			// not open. 501, not 405: a 405 must carry an Allow field (RFC 9110 §15.5.6) listing
			// the resource's methods, which nothing here can know.
			return TargetSyntax.isAuthorityForm(target) ? HttpResponseStatus.NOT_IMPLEMENTED
					: HttpResponseStatus.BAD_REQUEST;
		}
		if (target.equals("*")) {
			return HttpMethod.OPTIONS.equals(method) ? null : HttpResponseStatus.BAD_REQUEST; // RFC 9112 §3.2.4
		}
		// Origin-form, or absolute-form, which servers must accept (RFC 9112 §3.2.2); anything else,
		// authority-form outside CONNECT included (§3.2.3), is no target this server can serve.
		boolean valid = target.startsWith("/") ? TargetSyntax.isOriginForm(target)
				: TargetSyntax.isHttpAbsoluteForm(target);
		return valid ? null : HttpResponseStatus.BAD_REQUEST;
	}

}
