package dev.prefork.server;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2SettingsFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsAckFrame;
import org.jspecify.annotations.Nullable;

/**
 * Tells every HTTP/2 client how many streams it may have open at once
 * ({@code SETTINGS_MAX_CONCURRENT_STREAMS}): the requests the workers admit together, shared
 * among the open HTTP/2 connections, so that clients that keep to it are not refused while the
 * server has room. With a fixed 100, sixteen connections of ten streams each were answered
 * {@code 503} hundreds of times a second by a server admitting 144 (issue #13).
 * <p>
 * A connection is told its share when its first frame arrives. When connections open or close,
 * or the workers change, the others are told their new share at most every
 * {@value #RETELL_MILLIS} ms, so that a client opening and closing connections cannot make the
 * server write to every other connection each time; and a connection is sent new settings only
 * once its client acknowledged the last ones, so that one that never does holds no growing queue
 * of them. A lower share holds for a connection once its client acknowledges it; until then, and
 * for a client that ignores it, the workers' own limits still answer {@code 503}.
 */
final class Http2StreamBudget {

	static final long RETELL_MILLIS = 100;

	/** What every connection's first settings say (reactor-netty's static configuration). */
	private final long initialShare;

	private final Map<Channel, ConnectionShare> connections = new HashMap<>();

	private int capacity;

	/** The share computed last. */
	private long share;

	private boolean retellScheduled;

	/** @param capacity the requests the configured workers admit together */
	Http2StreamBudget(long capacity) {
		this.initialShare = Math.max(1, Math.min(capacity, Http2CodecUtil.SMALLEST_MAX_CONCURRENT_STREAMS));
		this.share = this.initialShare;
	}

	/**
	 * What a connection is told in its first settings, before it joins: the smallest limit RFC
	 * 9113 recommends, unless the workers admit fewer.
	 */
	long initialShare() {
		return this.initialShare;
	}

	/** The workers now taking requests admit this many at once. */
	synchronized void capacityChanged(int capacity) {
		if (capacity != this.capacity) {
			this.capacity = capacity;
			shareChanged(null);
		}
	}

	/** A handler for an HTTP/2 connection's pipeline, behind its frame codec: the connection's share. */
	ChannelInboundHandlerAdapter newConnection() {
		return new ConnectionShare();
	}

	private synchronized void join(ConnectionShare connection, Channel channel) {
		this.connections.put(channel, connection);
		channel.closeFuture().addListener((closed) -> leave(channel));
		shareChanged(channel);
		connection.want(this.share); // at once: it is new
	}

	private synchronized void leave(Channel channel) {
		if (this.connections.remove(channel) != null) {
			shareChanged(null);
		}
	}

	/** Computes the share, and schedules the retelling of the other connections if it changed. */
	private void shareChanged(@Nullable Channel scheduleOn) {
		if (this.connections.isEmpty() || this.capacity == 0) {
			return;
		}
		long share = Math.max(1, this.capacity / this.connections.size());
		if (share == this.share || this.retellScheduled) {
			this.share = share;
			return;
		}
		this.share = share;
		Channel channel = (scheduleOn != null) ? scheduleOn : this.connections.keySet().iterator().next();
		try {
			channel.eventLoop().schedule(this::retell, RETELL_MILLIS, TimeUnit.MILLISECONDS);
			this.retellScheduled = true;
		}
		catch (RejectedExecutionException ex) {
			// The event loops have stopped, and the connections with them.
		}
	}

	private synchronized void retell() {
		this.retellScheduled = false;
		for (ConnectionShare connection : this.connections.values()) {
			connection.want(this.share);
		}
	}

	/**
	 * One connection's share: joins the budget at the first frame, when the HTTP/2 codec is surely
	 * in place (during an h2c upgrade it is added after this handler), and sends what the budget
	 * wants it to have, one unacknowledged settings frame at a time. Its fields but
	 * {@code wanted} belong to the connection's event loop.
	 */
	private final class ConnectionShare extends ChannelInboundHandlerAdapter {

		private volatile long wanted = -1;

		private long told = Http2StreamBudget.this.initialShare;

		private boolean awaitingAck;

		private @Nullable Channel channel;

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (this.channel == null) {
				this.channel = ctx.channel();
				join(this, ctx.channel());
			}
			else if (msg instanceof Http2SettingsAckFrame) {
				this.awaitingAck = false;
				tellIfWanted();
			}
			ctx.fireChannelRead(msg);
		}

		/** Under the budget's lock. */
		void want(long share) {
			if (share == this.wanted) {
				return;
			}
			this.wanted = share;
			Channel channel = this.channel;
			try {
				channel.eventLoop().execute(this::tellIfWanted);
			}
			catch (RejectedExecutionException ex) {
				// The event loops have stopped, and the connection with them.
			}
		}

		private void tellIfWanted() {
			long wanted = this.wanted;
			Channel channel = this.channel;
			if (this.awaitingAck || wanted < 0 || wanted == this.told || channel == null || !channel.isActive()) {
				return;
			}
			this.told = wanted;
			this.awaitingAck = true;
			channel.writeAndFlush(new DefaultHttp2SettingsFrame(new Http2Settings().maxConcurrentStreams(wanted)));
		}

	}

}
