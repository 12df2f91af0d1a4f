package dev.prefork.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

/**
 * Checks each decoded request head against gunicorn-style limits and the RFC 9112 rules that
 * stock reactor-netty lets through, answering 4xx/5xx and closing the connection when a request
 * is refused. Everything it refuses is refused before any application code sees it.
 * <p>
 * Sitting right after the HTTP/1.1 codec, it also sees where each request ends on both sides,
 * which it tells the {@link HeadTimer} (interim {@code 1xx} responses do not end one), and when
 * the connection leaves HTTP/1.1, which it tells {@link ProtocolGuards}.
 */
final class RequestHeadGuard extends ChannelDuplexHandler {

	private final int limitRequestFields;

	private final int limitRequestFieldSize;

	private final HeadTimer headTimer;

	private final ProtocolGuards guards;

	/** Requests passed on whose response has not been written yet (pipelining keeps order). */
	private int pending;

	/** Set once the connection takes no more requests: after a refusal or a non-persistent request. */
	private boolean closing;

	/** Whether the body of a dropped request is still arriving. */
	private boolean droppingContent;

	/** Whether an interim response written as head and last content apart is still open. */
	private boolean interimOpen;

	private @Nullable HttpResponseStatus deferredRefusal;

	private final @Nullable AccessLog accessLog;

	/** The refused head whose answer waits behind the responses still owed, for the access log. */
	private @Nullable RefusedRequest deferredHead;

	/** A head the decoder could not read, which reactor-netty answers; for the access log. */
	private @Nullable RefusedRequest undecodedHead;

	/**
	 * Whether the body of the last request read could not be decoded while its answer was still
	 * owed: reactor-netty answers it with a status of its own (400) and closes, for the access log.
	 */
	private boolean bodyUndecoded;

	/** Status of the final response being written. */
	private int responseStatus;

	RequestHeadGuard(int limitRequestFields, int limitRequestFieldSize, HeadTimer headTimer, ProtocolGuards guards,
			@Nullable AccessLog accessLog) {
		this.limitRequestFields = limitRequestFields;
		this.limitRequestFieldSize = limitRequestFieldSize;
		this.headTimer = headTimer;
		this.guards = guards;
		this.accessLog = accessLog;
	}

	@Override
	public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
		if (evt instanceof CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent) {
			// An HTTP/2 preface instead of a request line: the HTTP/2 codec has replaced the
			// HTTP/1.1 one, and the bytes that follow are frames.
			this.guards.priorKnowledge(ctx.pipeline());
		}
		ctx.fireUserEventTriggered(evt);
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		boolean last = msg instanceof LastHttpContent;
		if (msg instanceof HttpRequest request) {
			readHead(ctx, request);
		}
		else if (this.droppingContent && msg instanceof HttpContent) {
			this.droppingContent = !last;
			ReferenceCountUtil.release(msg);
		}
		else {
			if (this.accessLog != null && this.pending > 0 && msg instanceof HttpContent content
					&& content.decoderResult().isFailure()) {
				// The decoder reads nothing more on this connection: the last answer owed is this request's.
				this.bodyUndecoded = true;
			}
			ctx.fireChannelRead(msg);
		}
		if (last) {
			this.headTimer.requestReceived(); // also for a FullHttpRequest, once its head was seen
		}
	}

	private void readHead(ChannelHandlerContext ctx, HttpRequest request) {
		this.headTimer.headReceived();
		if (this.closing) {
			drop(request);
			return;
		}
		HttpResponseStatus refusal = request.decoderResult().isSuccess() ? check(request) : null;
		if (refusal != null) {
			RefusedRequest head = (this.accessLog != null) ? RefusedRequest.of(ctx.channel(), request) : null;
			closing();
			drop(request);
			refuse(ctx, refusal, head);
			return;
		}
		if (this.accessLog != null && request.decoderResult().isFailure()
				&& !(request.decoderResult().cause() instanceof PrematureChannelClosureException)) {
			// reactor-netty answers it (400, 414, 431) and closes, without the dispatcher: the
			// decoder reads nothing more on this connection, so the last response owed is that answer.
			// A head cut off by its connection's close is no request: nobody is left to answer.
			this.undecodedHead = RefusedRequest.of(ctx.channel(), request);
		}
		this.pending++;
		this.headTimer.responsesOwed(true);
		if (!HttpUtil.isKeepAlive(request)) {
			closing(); // anything pipelined after it will never be answered
		}
		ctx.fireChannelRead(request);
	}

	private void closing() {
		this.closing = true;
		this.headTimer.stop();
	}

	private void drop(HttpRequest request) {
		this.droppingContent = !(request instanceof LastHttpContent);
		ReferenceCountUtil.release(request);
	}

	@Override
	public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		if (msg instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
			// 100 Continue (a FullHttpResponse, hence also a LastHttpContent) and other interim
			// responses precede the final response: the request is still owed its answer.
			this.interimOpen = !(msg instanceof LastHttpContent);
			boolean switching = response.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code();
			String protocol = switching ? response.headers().get(HttpHeaderNames.UPGRADE) : null;
			if (this.accessLog != null && "websocket".equalsIgnoreCase(protocol)) {
				// reactor-netty's own handshake answer: the request's response still says 200.
				RequestTask.statusSent(ctx.channel(), HttpResponseStatus.SWITCHING_PROTOCOLS.code());
			}
			ctx.write(msg, promise);
			if (switching) {
				// Upgrade: h2c (or a WebSocket handshake): the codec is taken out next, and what
				// follows on this connection is no longer HTTP/1.1.
				this.guards.upgraded(ctx.pipeline(), (protocol != null) ? protocol : "");
			}
			return;
		}
		if (msg instanceof HttpResponse response) {
			this.responseStatus = response.status().code();
			if (this.bodyUndecoded && this.pending == 1) {
				RequestTask.statusSent(ctx.channel(), this.responseStatus);
			}
		}
		RefusedRequest undecoded = this.undecodedHead;
		if (undecoded != null && this.pending == 1 && msg instanceof LastHttpContent && !this.interimOpen) {
			this.undecodedHead = null;
			promise = promise.unvoid();
			promise.addListener(undecoded.logWhenWritten(this.accessLog, this.responseStatus));
		}
		ctx.write(msg, promise);
		if (msg instanceof LastHttpContent) {
			if (this.interimOpen) {
				this.interimOpen = false;
				return;
			}
			this.pending = Math.max(0, this.pending - 1);
			if (this.pending == 0) {
				if (this.deferredRefusal != null) {
					writeRefusal(ctx, this.deferredRefusal, this.deferredHead);
				}
				else {
					this.headTimer.responsesOwed(false);
				}
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

	private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, @Nullable RefusedRequest head) {
		if (this.pending > 0) {
			this.deferredRefusal = status; // answer in order, after the responses still owed
			this.deferredHead = head;
			return;
		}
		writeRefusal(ctx, status, head);
	}

	private void writeRefusal(ChannelHandlerContext ctx, HttpResponseStatus status, @Nullable RefusedRequest head) {
		this.deferredRefusal = null;
		this.deferredHead = null;
		FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
		response.headers()
			.set(HttpHeaderNames.CONTENT_LENGTH, 0)
			.set(HttpHeaderNames.CONNECTION, "close");
		ChannelFuture written = ctx.writeAndFlush(response);
		if (head != null && this.accessLog != null) {
			written.addListener(head.logWhenWritten(this.accessLog, status.code()));
		}
		written.addListener(ChannelFutureListener.CLOSE);
	}

}
