package dev.prefork.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * The connections a worker JVM of process mode took from the sockets its arbiter shares that
 * have had no answer yet: not a byte written, and still open. A worker that leaves stops
 * accepting, then waits for them (a moment at most) before Spring marks it refusing traffic, so
 * that a request that reached it before it stopped is answered as it would have been then: a
 * readiness probe says {@code UP} during a rolling restart, whichever worker JVM took it. Only a
 * connection's first request is waited for, and over HTTP/2 its first frames (the server's
 * settings) count as the answer: probes come over HTTP/1.1, one per connection.
 */
@ChannelHandler.Sharable
final class FirstAnswers extends ChannelInboundHandlerAdapter {

	private static final String WATCH = "prefork.firstAnswer";

	private final Set<Channel> unanswered = ConcurrentHashMap.newKeySet();

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object message) {
		if (message instanceof Channel connection) {
			this.unanswered.add(connection);
			connection.closeFuture().addListener((closed) -> this.unanswered.remove(connection));
			connection.pipeline().addFirst(WATCH, new FirstWrite());
		}
		ctx.fireChannelRead(message);
	}

	/**
	 * Waits until every connection taken so far has been answered or has closed, for
	 * {@code timeoutMillis} at most; {@code false} if some had not.
	 */
	boolean awaitAnswered(long timeoutMillis) {
		long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
		// One whose registration failed was closed without its close future completing.
		this.unanswered.removeIf((connection) -> !connection.isOpen());
		while (!this.unanswered.isEmpty()) {
			if (System.nanoTime() - deadline >= 0) {
				return false;
			}
			try {
				Thread.sleep(2);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		}
		return true;
	}

	/** At the socket's end of the pipeline: the first bytes out answer the connection. */
	private final class FirstWrite extends ChannelOutboundHandlerAdapter {

		@Override
		public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
			FirstAnswers.this.unanswered.remove(ctx.channel());
			ctx.pipeline().remove(this);
			ctx.write(message, promise);
		}

	}

}
