package dev.prefork.server;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP/2 side of the slowloris defence: a connection whose first request has not delivered
 * its complete HEADERS within {@code header-timeout} of connecting is closed. The frame codec
 * turns the close into a GOAWAY ({@code NO_ERROR}, no stream processed, so the client may retry)
 * followed by the close.
 * <p>
 * Only the first request is timed: it is what a client that opens connections and never uses them
 * holds back. Later requests' HEADERS are bounded in size by the decoder but not in time, other
 * than by the idle timeout ({@code keepalive}), which any frame resets.
 */
final class Http2HeadTimer extends ChannelInboundHandlerAdapter {

	private final long deadlineNanos;

	private @Nullable ScheduledFuture<?> timer;

	/** The deadline on {@link System#nanoTime()}'s clock: connecting time plus the header timeout. */
	Http2HeadTimer(long deadlineNanos) {
		this.deadlineNanos = deadlineNanos;
	}

	@Override
	public void handlerAdded(ChannelHandlerContext ctx) {
		long delay = Math.max(0, this.deadlineNanos - System.nanoTime());
		this.timer = ctx.executor().schedule(() -> expire(ctx), delay, TimeUnit.NANOSECONDS);
	}

	@Override
	public void handlerRemoved(ChannelHandlerContext ctx) {
		if (this.timer != null) {
			this.timer.cancel(false);
			this.timer = null;
		}
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (msg instanceof Http2HeadersFrame) {
			ctx.pipeline().remove(this); // the first request's head is complete: the job is done
		}
		ctx.fireChannelRead(msg);
	}

	private void expire(ChannelHandlerContext ctx) {
		this.timer = null;
		if (!ctx.isRemoved()) {
			ctx.close();
		}
	}

}
