package dev.prefork.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Hands an accepted request head on the way the RFCs say to process it, so that reactor-netty,
 * the dispatcher and the application all see one meaning: a later HTTP/1 minor version becomes
 * HTTP/1.1, and an absolute-form target becomes origin-form with its authority as the Host.
 * Only for heads that {@link RequestHeadRules} accepted.
 */
final class RequestHeadNormalizer {

	private RequestHeadNormalizer() {
	}

	static void normalize(HttpRequest request) {
		if (request.protocolVersion().minorVersion() > 1) {
			// RFC 9110 §2.5: process it as the highest minor version we implement.
			request.setProtocolVersion(HttpVersion.HTTP_1_1);
		}
		String target = request.uri();
		int authorityStart = TargetSyntax.authorityStart(target);
		if (authorityStart >= 0) {
			// RFC 9112 §3.2.2: the target's authority wins over the Host field. Left to them,
			// reactor-netty and Spring take the host from the Host field, and the management lane
			// matches the raw target, so both are rewritten here.
			int authorityEnd = TargetSyntax.authorityEnd(target, authorityStart);
			request.headers().set(HttpHeaderNames.HOST, target.substring(authorityStart, authorityEnd));
			request.setUri(originForm(request.method(), target.substring(authorityEnd)));
		}
	}

	private static String originForm(HttpMethod method, String pathAndQuery) {
		if (pathAndQuery.isEmpty()) {
			// RFC 9112 §3.2.4: an OPTIONS for the bare authority asks about the server as a whole;
			// §3.2.1: otherwise an empty path is sent as "/".
			return HttpMethod.OPTIONS.equals(method) ? "*" : "/";
		}
		return pathAndQuery.startsWith("?") ? "/" + pathAndQuery : pathAndQuery;
	}

}
