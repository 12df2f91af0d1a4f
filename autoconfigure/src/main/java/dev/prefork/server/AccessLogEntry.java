package dev.prefork.server;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

import org.jspecify.annotations.Nullable;

/**
 * What the access log is told about one finished request, made only while the access log is on.
 *
 * @param remote the client's address (the forwarded one, where the server takes it from headers)
 * @param method the request method
 * @param target the request target as sent, query string included; {@code null} when the
 * request line could not be read
 * @param protocol {@code HTTP/1.1}, {@code HTTP/2.0}
 * @param status the status sent, or {@code 499} for a request whose client left before its
 * answer began
 * @param bytes body bytes the server wrote for the response (before compression)
 * @param durationNanos from the complete request head to the request's end
 * @param worker the worker that admitted it, {@link #NO_WORKER} for none
 * @param requestHeaders the request's header fields, by lower-case name
 * @param responseHeaders the response's header fields, by lower-case name
 */
record AccessLogEntry(@Nullable SocketAddress remote, String method, @Nullable String target, String protocol,
		int status, long bytes, long durationNanos, int worker, Headers requestHeaders, Headers responseHeaders) {

	/** Worker of a request that the server answered before any worker admitted it. */
	static final int NO_WORKER = -1;

	String remoteAddress() {
		if (this.remote instanceof InetSocketAddress address) {
			return (address.getAddress() != null) ? address.getAddress().getHostAddress() : address.getHostString();
		}
		return (this.remote != null) ? this.remote.toString() : "-";
	}

	/** The path, without the query string, and without scheme and authority for an absolute-form target. */
	@Nullable String path() {
		String target = this.target;
		if (target == null) {
			return null;
		}
		int scheme = target.indexOf("://");
		if (scheme > 0 && !target.startsWith("/")) {
			int path = target.indexOf('/', scheme + 3);
			target = (path < 0) ? "/" : target.substring(path);
		}
		return withoutQuery(target);
	}

	@Nullable String query() {
		String target = this.target;
		int question = (target != null) ? target.indexOf('?') : -1;
		return (question >= 0) ? target.substring(question + 1) : null;
	}

	@Nullable String requestHeader(String name) {
		return this.requestHeaders.get(name);
	}

	@Nullable String responseHeader(String name) {
		return this.responseHeaders.get(name);
	}

	static String withoutQuery(String target) {
		int question = target.indexOf('?');
		return (question >= 0) ? target.substring(0, question) : target;
	}

	/** Header fields looked up by lower-case name. */
	@FunctionalInterface
	interface Headers {

		Headers NONE = (name) -> null;

		@Nullable String get(String name);

	}

}
