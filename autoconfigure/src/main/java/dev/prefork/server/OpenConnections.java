package dev.prefork.server;

import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Counts the connections a worker JVM of process mode accepted and still has open, for its
 * heartbeat: the arbiter's view shows how the shared socket's connections spread over the JVMs.
 */
@ChannelHandler.Sharable
final class OpenConnections extends ChannelInboundHandlerAdapter {

	private final AtomicInteger open = new AtomicInteger();

	int count() {
		return this.open.get();
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object message) {
		if (message instanceof Channel connection) {
			this.open.incrementAndGet();
			connection.closeFuture().addListener((closed) -> this.open.decrementAndGet());
		}
		ctx.fireChannelRead(message);
	}

}
