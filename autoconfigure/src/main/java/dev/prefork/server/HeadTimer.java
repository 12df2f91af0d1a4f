package dev.prefork.server;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.jspecify.annotations.Nullable;

/**
 * Bounds the time a client may take to send a request head (slowloris defence). The clock
 * starts at the first byte of a head and stops when the codec has decoded the head. Bytes start
 * a head only between requests: once the previous request's body has been received in full and
 * its final response written. So neither body bytes (after a {@code 100 Continue}, or after an
 * answer given before the body was read) nor bytes pipelined while a response is still owed can
 * start it: a raw 408 must neither cut an upload short nor overtake a response. The keep-alive
 * idle time between requests is the idle timeout's business, not this one's.
 * <p>
 * Sits before the HTTP/1.1 codec and sees raw bytes, so on expiry it writes a raw {@code 408}
 * and closes. {@link RequestHeadGuard}, after the codec, tells it where the requests begin and
 * end. Event-loop confined, like every handler.
 */
final class HeadTimer extends ChannelInboundHandlerAdapter {

	private static final byte[] REQUEST_TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\n" + "Content-Length: 0\r\n"
			+ "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

	private final long timeoutNanos;

	private @Nullable ChannelHandlerContext context;

	/** From a request's head until its last content has been decoded. */
	private boolean inRequest;

	/** Whether a response is still owed to a request received earlier. */
	private boolean responseOwed;

	/** Bytes arrived between requests and have not become a head yet. */
	private boolean headStarted;

	/** The connection takes no more requests, so there is no next head to wait for. */
	private boolean stopped;

	private @Nullable ScheduledFuture<?> timer;

	HeadTimer(long timeoutNanos) {
		this.timeoutNanos = timeoutNanos;
	}

	@Override
	public void handlerAdded(ChannelHandlerContext ctx) {
		this.context = ctx;
	}

	@Override
	public void handlerRemoved(ChannelHandlerContext ctx) {
		cancel(); // the connection switched protocols: its bytes are no longer HTTP/1.1 heads
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		boolean bytes = msg instanceof ByteBuf;
		if (bytes && !this.inRequest) {
			this.headStarted = true;
		}
		ctx.fireChannelRead(msg);
		if (bytes) {
			// Judged after the codec has seen the bytes: a head that arrived whole never arms it.
			update();
		}
	}

	@Override
	public void channelInactive(ChannelHandlerContext ctx) {
		cancel();
		ctx.fireChannelInactive();
	}

	/** The codec produced a request head: stop the clock. */
	void headReceived() {
		this.inRequest = true;
		this.headStarted = false;
		cancel();
	}

	/**
	 * The codec produced the request's last content: bytes from now on belong to the next head.
	 * Bytes after the end of a request in the same read are not seen as a head start; if their
	 * client then sends nothing more, the keep-alive idle timeout closes the connection.
	 */
	void requestReceived() {
		this.inRequest = false;
		update();
	}

	/** Whether responses are owed; a head that started while one was owed is timed once none is. */
	void responsesOwed(boolean owed) {
		this.responseOwed = owed;
		update();
	}

	/** The connection will be closed after the responses owed: never time a head again. */
	void stop() {
		this.stopped = true;
		cancel();
	}

	private void update() {
		if (this.headStarted && !this.inRequest && !this.responseOwed && !this.stopped) {
			if (this.timer == null && this.context != null) {
				this.timer = this.context.executor().schedule(this::expire, this.timeoutNanos, TimeUnit.NANOSECONDS);
			}
		}
		else {
			cancel();
		}
	}

	private void expire() {
		this.timer = null;
		ChannelHandlerContext ctx = this.context;
		if (ctx != null && !ctx.isRemoved() && ctx.channel().isActive()) {
			this.stopped = true;
			ctx.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
		}
	}

	private void cancel() {
		if (this.timer != null) {
			this.timer.cancel(false);
			this.timer = null;
		}
	}

}
