package dev.prefork.server;

import java.net.SocketAddress;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpRequest;
import org.jspecify.annotations.Nullable;

/**
 * A request that the connection's guards answer themselves (a refused head, a head that timed
 * out), held for its access-log line until that answer has been written. No worker ever sees it,
 * so the line names none; its body, if any, is never read, and the answer has none.
 *
 * @param remote the client's address, as the connection has it (forwarded headers are not
 * trusted on a refused head)
 * @param method the method, {@code -} when the request line could not be read
 * @param target the target, {@code null} when the request line could not be read
 * @param protocol the protocol, {@code -} when the request line could not be read
 * @param headers the request's header fields, as far as they were read
 * @param receivedNanos when the head arrived, or started to
 */
record RefusedRequest(@Nullable SocketAddress remote, String method, @Nullable String target, String protocol,
		AccessLogEntry.Headers headers, long receivedNanos) {

	/**
	 * A head as the HTTP/1.1 decoder produced it. One it could not decode has its request line
	 * only if the decoder got past it: otherwise the decoder stands in a {@link FullHttpRequest}
	 * of its own ({@code GET /bad-request HTTP/1.0}), which the access log must not show as sent.
	 */
	static RefusedRequest of(Channel channel, HttpRequest request) {
		if (request.decoderResult().isFailure() && request instanceof FullHttpRequest) {
			return new RefusedRequest(channel.remoteAddress(), "-", null, "-", AccessLogEntry.Headers.NONE,
					System.nanoTime());
		}
		return new RefusedRequest(channel.remoteAddress(), request.method().name(), request.uri(),
				request.protocolVersion().text(), request.headers()::get, System.nanoTime());
	}

	/** Writes the line once the answer with this status has been written (or failed to be). */
	ChannelFutureListener logWhenWritten(AccessLog accessLog, int status) {
		return (future) -> log(accessLog, status);
	}

	void log(AccessLog accessLog, int status) {
		accessLog.log(() -> new AccessLogEntry(this.remote, this.method, this.target, this.protocol, status, 0,
				System.nanoTime() - this.receivedNanos, AccessLogEntry.NO_WORKER, this.headers,
				AccessLogEntry.Headers.NONE));
	}

}
