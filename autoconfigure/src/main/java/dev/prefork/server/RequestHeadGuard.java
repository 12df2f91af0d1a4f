package dev.prefork.server;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Checks each decoded request head against gunicorn-style limits and the RFC 9112 rules that
 * stock reactor-netty lets through, answering 4xx/5xx and closing the connection when a request
 * is refused. Everything it refuses is refused before any application code sees it.
 */
final class RequestHeadGuard extends ChannelDuplexHandler {

	private final int limitRequestFields;

	private final int limitRequestFieldSize;

	private final HeadTimer headTimer;

	/** Requests passed on whose response has not been written yet (pipelining keeps order). */
	private int pending;

	/** Set once the connection takes no more requests: after a refusal or a non-persistent request. */
	private boolean closing;

	/** Whether the body of a dropped request is still arriving. */
	private boolean droppingContent;

	private HttpResponseStatus deferredRefusal;

	RequestHeadGuard(int limitRequestFields, int limitRequestFieldSize, HeadTimer headTimer) {
		this.limitRequestFields = limitRequestFields;
		this.limitRequestFieldSize = limitRequestFieldSize;
		this.headTimer = headTimer;
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (msg instanceof HttpRequest request) {
			readHead(ctx, request);
		}
		else if (this.droppingContent && msg instanceof HttpContent) {
			this.droppingContent = !(msg instanceof LastHttpContent);
			ReferenceCountUtil.release(msg);
		}
		else {
			ctx.fireChannelRead(msg);
		}
	}

	private void readHead(ChannelHandlerContext ctx, HttpRequest request) {
		if (this.closing) {
			drop(request);
			return;
		}
		this.headTimer.headReceived();
		HttpResponseStatus refusal = request.decoderResult().isSuccess() ? check(request) : null;
		if (refusal != null) {
			this.closing = true;
			drop(request);
			refuse(ctx, refusal);
			return;
		}
		this.pending++;
		if (!HttpUtil.isKeepAlive(request)) {
			this.closing = true; // anything pipelined after it will never be answered
		}
		ctx.fireChannelRead(request);
	}

	private void drop(HttpRequest request) {
		this.droppingContent = !(request instanceof LastHttpContent);
		ReferenceCountUtil.release(request);
	}

	@Override
	public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		ctx.write(msg, promise);
		if (msg instanceof LastHttpContent) {
			this.pending = Math.max(0, this.pending - 1);
			this.headTimer.awaitNextHead();
			if (this.pending == 0 && this.deferredRefusal != null) {
				writeRefusal(ctx, this.deferredRefusal);
			}
		}
	}

	private HttpResponseStatus check(HttpRequest request) {
		HttpResponseStatus refusal = RequestHeadRules.check(request, this.limitRequestFields,
				this.limitRequestFieldSize);
		if (refusal == null) {
			RequestHeadNormalizer.normalize(request);
		}
		return refusal;
	}

	private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status) {
		if (this.pending > 0) {
			this.deferredRefusal = status; // answer in order, after the responses still owed
			return;
		}
		writeRefusal(ctx, status);
	}

	private void writeRefusal(ChannelHandlerContext ctx, HttpResponseStatus status) {
		this.deferredRefusal = null;
		FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
		response.headers()
			.set(HttpHeaderNames.CONTENT_LENGTH, 0)
			.set(HttpHeaderNames.CONNECTION, "close");
		ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
	}

}
