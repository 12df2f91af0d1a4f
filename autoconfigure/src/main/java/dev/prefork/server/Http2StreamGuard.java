package dev.prefork.server;

import java.util.Map;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.AsciiString;
import org.jspecify.annotations.Nullable;

/**
 * Holds the head of every HTTP/2 request to {@code limit-request-fields} and
 * {@code limit-request-field-size}, as {@link RequestHeadGuard} does for HTTP/1.1, and answers a
 * head over them {@code 431} on its own stream; the connection and its other streams go on.
 * <p>
 * Fields are counted as the HTTP/1.1 head of the same request would have them: pseudo-header
 * fields are the request line, not fields, and the crumbs a client may split its cookies into
 * (RFC 9113 §8.2.3) are one {@code Cookie} line. Trailers are not checked, as in HTTP/1.1.
 * <p>
 * Sits on the connection between the HTTP/2 frame codec and the multiplex handler that hands
 * each stream's frames to a stream channel, so a refused head reaches neither reactor-netty's
 * stream handlers nor a worker. The HTTP/2 decoder has already bounded the head's size by then
 * (SETTINGS_MAX_HEADER_LIST_SIZE, {@link ServerSettings#http2MaxHeaderListSize()}).
 */
final class Http2StreamGuard extends ChannelInboundHandlerAdapter {

	private static final CharSequence TOO_LARGE = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE.codeAsText();

	private final int limitRequestFields;

	private final int limitRequestFieldSize;

	private final @Nullable AccessLog accessLog;

	Http2StreamGuard(int limitRequestFields, int limitRequestFieldSize, @Nullable AccessLog accessLog) {
		this.limitRequestFields = limitRequestFields;
		this.limitRequestFieldSize = limitRequestFieldSize;
		this.accessLog = accessLog;
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (msg instanceof Http2HeadersFrame head && head.headers().method() != null
				&& !isWithinLimits(head.headers())) {
			refuse(ctx, head); // a headers frame holds no buffer: nothing to release
			return;
		}
		ctx.fireChannelRead(msg);
	}

	private boolean isWithinLimits(Http2Headers headers) {
		int fields = 0;
		int cookieLine = 0;
		for (Map.Entry<CharSequence, CharSequence> field : headers) {
			CharSequence name = field.getKey();
			int length = field.getValue().length();
			if (Http2Headers.PseudoHeaderName.hasPseudoHeaderFormat(name)) {
				continue;
			}
			if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.COOKIE)) {
				cookieLine += (cookieLine == 0) ? name.length() + 2 + length : 2 + length; // "; " between crumbs
				continue;
			}
			fields++;
			if (name.length() + 2 + length > this.limitRequestFieldSize) {
				return false;
			}
		}
		if (cookieLine > 0) {
			fields++;
		}
		return fields <= this.limitRequestFields && cookieLine <= this.limitRequestFieldSize;
	}

	private static RefusedRequest refused(ChannelHandlerContext ctx, Http2Headers headers) {
		return new RefusedRequest(ctx.channel().remoteAddress(), String.valueOf(headers.method()),
				String.valueOf(headers.path()), "HTTP/2.0", (name) -> {
					CharSequence value = headers.get(name);
					return (value != null) ? value.toString() : null;
				}, System.nanoTime());
	}

	private void refuse(ChannelHandlerContext ctx, Http2HeadersFrame head) {
		Http2FrameStream stream = head.stream();
		ChannelFuture written = ctx
			.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status(TOO_LARGE), true).stream(stream));
		if (this.accessLog != null) {
			written.addListener(refused(ctx, head.headers()).logWhenWritten(this.accessLog, 431));
		}
		if (!head.isEndStream()) {
			// The answer is complete before the request is: ask the client to stop sending its
			// body, which is not an error (RFC 9113 §8.1).
			ctx.write(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR).stream(stream));
		}
		ctx.flush();
	}

}
