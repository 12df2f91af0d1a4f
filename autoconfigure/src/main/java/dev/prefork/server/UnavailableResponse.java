package dev.prefork.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * A 503 written by the server itself for a request whose application code may still be running:
 * reactor-netty's response object is then the application's, so the server writes a response
 * of its own and closes the connection (an HTTP/2 stream is reset instead), which also keeps
 * whatever the application writes later off the wire.
 */
final class UnavailableResponse {

	private UnavailableResponse() {
	}

	/** Must run on the channel's event loop. */
	static void writeAndClose(Channel channel) {
		if (!channel.isActive()) {
			return;
		}
		FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
				HttpResponseStatus.SERVICE_UNAVAILABLE);
		response.headers()
			.set(HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO)
			.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
		channel.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
	}

}
