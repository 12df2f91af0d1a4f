package dev.prefork.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollTcpInfo;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.handler.ssl.SslHandler;

/**
 * The open connections of a worker JVM of process mode, so that it can leave without cutting a
 * request or a response off. While it drains, each connection is closed by its own event loop, in
 * the way its protocol makes safe:
 * <ul>
 * <li>HTTP/1.1: a connection busy with a request is answered with {@code Connection: close} and
 * closes itself; so does one whose client sends again within {@link #IDLE_NANOS}, as a busy
 * client does. One that stays idle that long is closed: between requests (no head arriving, no
 * response owed, as its {@link HeadTimer} sees it; over TLS no record arriving either), every byte
 * of its last response sent by the kernel and acknowledged, and not a byte read. Its event loop has
 * then read whatever had reached the socket meanwhile, so only a request that crosses the close
 * on the wire can meet it (the race RFC 9112 §9.3.1 has clients retry), never one that had
 * reached the server unread.
 * <li>HTTP/2: told {@code GOAWAY} at once, so that its client knows which streams were taken and
 * sends the next ones elsewhere; closed once the streams it has are answered and written.
 * <li>WebSocket: closed by its own close handshake, which draining starts; its session counts as
 * a request in flight, so the drain waits for it without waiting for the connection.
 * </ul>
 * A connection still negotiating TLS is closed once it has read nothing for {@link #IDLE_NANOS}:
 * no request can have reached it yet.
 */
final class LeavingConnections {

	/** How long a kept-alive connection must stay idle before leaving closes it. */
	static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

	/** How often at most the connections are looked at while draining. */
	private static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	private static final String WATCH = "prefork.leavingWatch";

	private final Set<Channel> open = ConcurrentHashMap.newKeySet();

	private volatile long lastSweepNanos = System.nanoTime() - SWEEP_NANOS;

	/** Tracks a connection until it closes; HTTP/2 stream channels are not connections. */
	void add(Channel channel) {
		if (channel.parent() instanceof ServerChannel && this.open.add(channel)) {
			channel.closeFuture().addListener((closed) -> this.open.remove(channel));
		}
	}

	/** Whether every connection has closed, but WebSockets (see above). */
	boolean allClosed() {
		return this.open.stream().allMatch(LeavingConnections::isWebSocket);
	}

	/** Each connection closed if it can be now (see above), on its own event loop. */
	void closeIdle() {
		long now = System.nanoTime();
		if (now - this.lastSweepNanos < SWEEP_NANOS) {
			return;
		}
		this.lastSweepNanos = now;
		for (Channel channel : this.open) {
			if (!isWebSocket(channel)) {
				channel.eventLoop().execute(() -> watch(channel).closeIfIdle(channel));
			}
		}
	}

	/**
	 * The connection's watch, added by the first sweep: only a leaving server counts reads, so
	 * serving pays nothing for it. First in the pipeline, it sees the bytes as they arrive,
	 * before TLS makes anything of them.
	 */
	private static Watch watch(Channel channel) {
		Watch watch = (Watch) channel.pipeline().get(WATCH);
		if (watch == null) {
			watch = new Watch(isTls(channel));
			channel.pipeline().addFirst(WATCH, watch);
		}
		return watch;
	}

	/** TLS, or its SNI handler, which becomes TLS once it has read the client's hello. */
	private static boolean isTls(Channel channel) {
		return channel.pipeline().get(SslHandler.class) != null || channel.pipeline().get(AbstractSniHandler.class) != null;
	}

	private static boolean isWebSocket(Channel channel) {
		return channel.pipeline().get(WebSocketFrameDecoder.class) != null;
	}

	/** Whether every byte given to the connection has been written to its socket. */
	private static boolean everythingWritten(Channel channel) {
		// The channel's own buffer: what the codec and TLS have made of the responses, unflushed too.
		ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
		return buffer == null || buffer.totalPendingWriteBytes() == 0;
	}

	/**
	 * Whether, besides, the kernel has sent it all and had it acknowledged at least
	 * {@link #IDLE_NANOS} ago: over a slow link the socket's buffer holds megabytes still on their
	 * way, and a client that reads them all and reuses the connection at once must not meet the
	 * close behind them.
	 */
	private static boolean everythingSent(Channel channel) {
		if (!everythingWritten(channel)) {
			return false;
		}
		if (!(channel instanceof EpollSocketChannel epoll)) {
			return true;
		}
		EpollTcpInfo sent = epoll.tcpInfo();
		return sent.unacked() == 0 && sent.lastDataSent() >= TimeUnit.NANOSECONDS.toMillis(IDLE_NANOS);
	}

	/** A connection's bytes read so far, and what the sweeps have seen of it; event-loop confined. */
	private static final class Watch extends ChannelInboundHandlerAdapter {

		private final boolean tls;

		private long reads;

		/** Over TLS: the last bytes read made no plain bytes yet (a record not yet whole). */
		private boolean partialRecord;

		/** The read count when the connection was last seen idle, or -1. */
		private long idleAtReads = -1;

		private long idleSinceNanos;

		private boolean goneAway;

		private boolean closing;

		Watch(boolean tls) {
			this.tls = tls;
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			this.reads++;
			HeadTimer http11 = this.tls ? ctx.pipeline().get(HeadTimer.class) : null;
			SslHandler tls = (http11 != null) ? ctx.pipeline().get(SslHandler.class) : null;
			if (tls == null || !tls.handshakeFuture().isDone()) {
				ctx.fireChannelRead(msg); // handshake records make no plain bytes, and need none
				return;
			}
			// TLS hands on what a record holds as soon as it is whole, within this call.
			long plainReads = http11.reads();
			ctx.fireChannelRead(msg);
			this.partialRecord = http11.reads() == plainReads;
		}

		void closeIfIdle(Channel channel) {
			if (this.closing || !channel.isActive()) {
				return;
			}
			HeadTimer http11 = channel.pipeline().get(HeadTimer.class);
			Http2ConnectionHandler http2 = channel.pipeline().get(Http2ConnectionHandler.class);
			if (http11 != null) {
				closeOnceIdleLongEnough(channel, http11.betweenRequests() && !this.partialRecord && everythingSent(channel));
			}
			else if (http2 != null) {
				goAway(channel, http2);
			}
			else {
				closeOnceIdleLongEnough(channel, true); // still negotiating TLS: no request can have reached it yet
			}
		}

		private void closeOnceIdleLongEnough(Channel channel, boolean idle) {
			long now = System.nanoTime();
			if (!idle) {
				this.idleAtReads = -1;
			}
			else if (this.idleAtReads != this.reads) {
				this.idleAtReads = this.reads;
				this.idleSinceNanos = now;
			}
			else if (now - this.idleSinceNanos >= IDLE_NANOS) {
				this.closing = true;
				channel.close();
			}
		}

		/**
		 * {@code GOAWAY} first, then the close once no stream is left: a close at once would
		 * reset the streams still being answered.
		 */
		private void goAway(Channel channel, Http2ConnectionHandler http2) {
			if (!this.goneAway) {
				this.goneAway = true;
				channel.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
			}
			else if (http2.connection().numActiveStreams() == 0 && everythingWritten(channel)) {
				this.closing = true;
				channel.close();
			}
		}

	}

}
