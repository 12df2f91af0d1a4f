package dev.prefork.server;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Bounds the time a client may take to send a request head (slowloris defence). The clock
 * starts at the first byte of a request and stops when the head is decoded; the keep-alive idle
 * time between requests is the idle timeout's business, not this one's. Sits before the HTTP
 * codec, so on expiry it writes a raw {@code 408} and closes.
 */
final class HeadTimer extends ChannelInboundHandlerAdapter {

	private static final byte[] REQUEST_TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\n" + "Content-Length: 0\r\n"
			+ "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

	private final long timeoutNanos;

	private ChannelHandlerContext context;

	private boolean awaitingHead = true;

	private ScheduledFuture<?> timer;

	HeadTimer(long timeoutNanos) {
		this.timeoutNanos = timeoutNanos;
	}

	@Override
	public void handlerAdded(ChannelHandlerContext ctx) {
		this.context = ctx;
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (this.awaitingHead && this.timer == null) {
			this.timer = ctx.executor().schedule(this::expire, this.timeoutNanos, TimeUnit.NANOSECONDS);
		}
		ctx.fireChannelRead(msg);
	}

	@Override
	public void channelInactive(ChannelHandlerContext ctx) {
		cancel();
		ctx.fireChannelInactive();
	}

	/** The codec produced a request head: stop the clock until the next request starts. */
	void headReceived() {
		this.awaitingHead = false;
		cancel();
	}

	/** The response went out: the next bytes start a new request head. */
	void awaitNextHead() {
		this.awaitingHead = true;
	}

	private void expire() {
		this.timer = null;
		if (this.awaitingHead && this.context.channel().isActive()) {
			this.context.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
		}
	}

	private void cancel() {
		if (this.timer != null) {
			this.timer.cancel(false);
			this.timer = null;
		}
	}

}
