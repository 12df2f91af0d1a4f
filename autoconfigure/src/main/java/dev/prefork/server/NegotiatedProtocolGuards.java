package dev.prefork.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import reactor.netty.NettyPipeline;

/**
 * Sits after reactor-netty's ALPN handler ({@code H2OrHttp11Codec}) on a TLS connection, waits
 * until the handshake has chosen the protocol and reactor-netty has built that protocol's
 * pipeline, installs the matching guards and leaves.
 * <p>
 * It acts on whichever comes first, the handshake event or a read: the ALPN handler replays the
 * bytes it buffered during the handshake as it removes itself, before it passes the event on,
 * and those bytes must already meet the guards.
 */
final class NegotiatedProtocolGuards extends ChannelInboundHandlerAdapter {

	private final ProtocolGuards guards;

	NegotiatedProtocolGuards(ProtocolGuards guards) {
		this.guards = guards;
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		boolean negotiated = install(ctx);
		ctx.fireChannelRead(msg); // to the guards just installed, if any
		if (negotiated) {
			ctx.pipeline().remove(this);
		}
	}

	@Override
	public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
		if (evt instanceof SslHandshakeCompletionEvent handshake && handshake.isSuccess() && install(ctx)) {
			ctx.pipeline().remove(this);
		}
		ctx.fireUserEventTriggered(evt);
	}

	/** Installs the negotiated protocol's guards; {@code false} while it is not known yet. */
	private boolean install(ChannelHandlerContext ctx) {
		if (ctx.pipeline().get(NettyPipeline.H2OrHttp11Codec) != null) {
			return false; // the ALPN handler is still in charge
		}
		this.guards.guardNegotiated(ctx.pipeline());
		return true;
	}

}
