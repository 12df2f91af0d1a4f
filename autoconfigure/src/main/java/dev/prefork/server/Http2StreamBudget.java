package dev.prefork.server;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2SettingsFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Settings;
import org.jspecify.annotations.Nullable;

/**
 * Tells every HTTP/2 client how many streams it may have open at once
 * ({@code SETTINGS_MAX_CONCURRENT_STREAMS}): the requests the workers admit together, shared
 * among the open HTTP/2 connections, so that clients that keep to it are not refused while the
 * server has room. With a fixed 100, sixteen connections of ten streams each were answered
 * {@code 503} for thousands of requests a second by a server admitting 144 (issue #13). A
 * connection is told its share when its first frame arrives, and again whenever the share
 * changes: a connection opens or closes, or the workers change. A lower share holds for the
 * connection once its client acknowledges it; until then, and for a client that ignores it, the
 * workers' own limits still answer {@code 503}.
 */
final class Http2StreamBudget {

	/** The connections, with the share each was last told. */
	private final Map<Channel, Long> connections = new HashMap<>();

	private int capacity;

	/** The share every connection but a new one was last told, or -1. */
	private long share = -1;

	/** The workers now taking requests admit this many at once. */
	synchronized void capacityChanged(int capacity) {
		if (capacity != this.capacity) {
			this.capacity = capacity;
			tellShares(null);
		}
	}

	/**
	 * What a connection is told in its first settings, before it joins: the smallest limit RFC
	 * 9113 recommends, unless the workers admit fewer.
	 */
	static long initialShare(long capacity) {
		return Math.max(1, Math.min(capacity, Http2CodecUtil.SMALLEST_MAX_CONCURRENT_STREAMS));
	}

	/** A handler for an HTTP/2 connection's pipeline, behind its frame codec, that joins it up. */
	ChannelInboundHandlerAdapter joiner() {
		return new Joiner();
	}

	private synchronized void join(Channel channel) {
		this.connections.put(channel, -1L);
		channel.closeFuture().addListener((closed) -> leave(channel));
		tellShares(channel);
	}

	private synchronized void leave(Channel channel) {
		if (this.connections.remove(channel) != null) {
			tellShares(null);
		}
	}

	/**
	 * Tells every connection its new share if the share changed, else only the one that just
	 * joined: connections opening and closing by the thousand at a share of one walk no others.
	 */
	private void tellShares(@Nullable Channel joined) {
		if (this.connections.isEmpty()) {
			return;
		}
		long share = Math.max(1, this.capacity / this.connections.size());
		if (share != this.share) {
			this.share = share;
			for (Map.Entry<Channel, Long> connection : this.connections.entrySet()) {
				if (connection.getValue() != share) {
					connection.setValue(share);
					tell(connection.getKey(), share);
				}
			}
		}
		else if (joined != null) {
			this.connections.put(joined, share);
			tell(joined, share);
		}
	}

	/** Under the lock, in order: the last share sent to a connection is the last one computed. */
	private static void tell(Channel channel, long share) {
		try {
			channel.eventLoop().execute(() -> {
				if (channel.isActive()) {
					channel.writeAndFlush(new DefaultHttp2SettingsFrame(new Http2Settings().maxConcurrentStreams(share)));
				}
			});
		}
		catch (RejectedExecutionException ex) {
			// The event loops have stopped, and the connection with them.
		}
	}

	/**
	 * Joins its connection at the first frame, when the HTTP/2 codec is surely in place (during
	 * an h2c upgrade it is added after this handler), then leaves the pipeline.
	 */
	private final class Joiner extends ChannelInboundHandlerAdapter {

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			join(ctx.channel());
			ctx.pipeline().remove(this);
			ctx.fireChannelRead(msg);
		}

	}

}
