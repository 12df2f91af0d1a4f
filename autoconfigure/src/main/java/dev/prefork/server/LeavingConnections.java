package dev.prefork.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.AttributeKey;

/**
 * The open connections of a worker JVM of process mode, so that it can leave without cutting a
 * request off. While it drains, each connection is closed by its own event loop, in the way its
 * protocol makes safe:
 * <ul>
 * <li>HTTP/1.1: a connection busy with a request is answered with {@code Connection: close} and
 * closes itself; so does one whose client sends again within {@link #IDLE_NANOS}, as a busy
 * client does. One that stays between requests that long (no head arriving, no response owed,
 * no byte read, as its {@link HeadTimer} sees it) is closed: its event loop has read whatever had
 * reached the socket meanwhile, so only a request that crosses the close on the wire can meet it
 * (the race RFC 9112 §9.3.1 has clients retry), never one that had reached the server unread.
 * <li>HTTP/2: told {@code GOAWAY} at once, so that its client knows which streams were taken and
 * sends the next ones elsewhere; closed once the streams it has are answered.
 * <li>A WebSocket is closed by its own close handshake, which draining starts.
 * </ul>
 * Connections still negotiating TLS are left as they are.
 */
final class LeavingConnections {

	/** How long a kept-alive connection must stay idle before leaving closes it. */
	static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

	/** Since when a connection has been between requests, and its read count then. */
	private static final AttributeKey<Idle> IDLE = AttributeKey.valueOf("prefork.idle");

	private static final AttributeKey<Boolean> GOING_AWAY = AttributeKey.valueOf("prefork.goingAway");

	private final Set<Channel> open = ConcurrentHashMap.newKeySet();

	/** Tracks a connection until it closes; HTTP/2 stream channels are not connections. */
	void add(Channel channel) {
		if (channel.parent() instanceof ServerChannel && this.open.add(channel)) {
			channel.closeFuture().addListener((closed) -> this.open.remove(channel));
		}
	}

	/**
	 * Whether every HTTP connection has closed. The others (WebSockets, whose sessions count as
	 * requests in flight; TLS still negotiating) are closed when the server stops.
	 */
	boolean allClosed() {
		return this.open.stream().noneMatch(LeavingConnections::isHttp);
	}

	private static boolean isHttp(Channel channel) {
		return channel.pipeline().get(HeadTimer.class) != null
				|| channel.pipeline().get(Http2ConnectionHandler.class) != null;
	}

	/** One sweep: each connection closed if it can be now (see above), on its own event loop. */
	void closeIdle() {
		for (Channel channel : this.open) {
			channel.eventLoop().execute(() -> closeIfIdle(channel));
		}
	}

	private static void closeIfIdle(Channel channel) {
		if (!channel.isActive()) {
			return;
		}
		HeadTimer http11 = channel.pipeline().get(HeadTimer.class);
		if (http11 != null) {
			closeIfIdle(channel, http11);
			return;
		}
		Http2ConnectionHandler http2 = channel.pipeline().get(Http2ConnectionHandler.class);
		if (http2 != null) {
			goAway(channel, http2);
		}
	}

	private static void closeIfIdle(Channel channel, HeadTimer http11) {
		if (!http11.betweenRequests()) {
			channel.attr(IDLE).set(null);
			return;
		}
		Idle idle = channel.attr(IDLE).get();
		long now = System.nanoTime();
		if (idle == null || idle.reads() != http11.reads()) {
			channel.attr(IDLE).set(new Idle(http11.reads(), now));
		}
		else if (now - idle.sinceNanos() >= IDLE_NANOS) {
			closeAfterWhatIsQueued(channel);
		}
	}

	/**
	 * {@code GOAWAY} first, then the close once no stream is left: a close at once would reset the
	 * streams still being answered.
	 */
	private static void goAway(Channel channel, Http2ConnectionHandler http2) {
		if (channel.attr(GOING_AWAY).setIfAbsent(Boolean.TRUE) == null) {
			channel.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
		}
		else if (http2.connection().numActiveStreams() == 0) {
			closeAfterWhatIsQueued(channel);
		}
	}

	/** Closes after what is still queued to be written, the last response included. */
	private static void closeAfterWhatIsQueued(Channel channel) {
		channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
	}

	private record Idle(long reads, long sinceNanos) {
	}

}
