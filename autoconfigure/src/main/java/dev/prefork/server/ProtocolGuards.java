package dev.prefork.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import reactor.netty.NettyPipeline;

/**
 * Puts Prefork's request guards into one connection's pipeline, for the protocol the connection
 * speaks, and takes them out when it stops speaking it. HTTP/1.1 gets a {@link HeadTimer} before
 * its codec and a {@link RequestHeadGuard} after it.
 * <p>
 * reactor-netty does not always have an HTTP/1.1 codec named {@link NettyPipeline#HttpCodec}
 * when a connection is initialised, so the codec is found by its type and, where the protocol is
 * not known yet, the guards wait for it:
 * <ul>
 * <li>HTTP/1.1 only, with or without TLS: the named codec is there from the start;
 * <li>h2c ({@code server.http2.enabled} without TLS): {@code CleartextHttp2ServerUpgradeHandler}
 * adds the codec under a generated name, and takes it out again when an HTTP/2 preface arrives
 * (prior knowledge) or an {@code Upgrade: h2c} request is answered {@code 101};
 * {@link RequestHeadGuard} sees both and calls {@link #http11Ended};
 * <li>TLS with ALPN: reactor-netty's {@code H2OrHttp11Codec} builds the pipeline only once the
 * handshake has chosen the protocol; {@link NegotiatedProtocolGuards} waits for that.
 * </ul>
 * One instance per connection, used on its event loop only.
 */
final class ProtocolGuards {

	static final String HEAD_TIMER = "prefork.headTimer";

	static final String HEAD_GUARD = "prefork.headGuard";

	static final String NEGOTIATION = "prefork.negotiatedProtocolGuards";

	private final ServerSettings settings;

	private ProtocolGuards(ServerSettings settings) {
		this.settings = settings;
	}

	/** Guards a connection whose pipeline reactor-netty has just built. */
	static void install(Channel channel, ServerSettings settings) {
		ProtocolGuards guards = new ProtocolGuards(settings);
		ChannelPipeline pipeline = channel.pipeline();
		if (!guards.guardHttp11(pipeline) && pipeline.get(NettyPipeline.H2OrHttp11Codec) != null) {
			pipeline.addAfter(NettyPipeline.H2OrHttp11Codec, NEGOTIATION, new NegotiatedProtocolGuards(guards));
		}
	}

	/** Guards the pipeline's HTTP/1.1 codec; {@code false} when it has none. */
	boolean guardHttp11(ChannelPipeline pipeline) {
		ChannelHandlerContext codec = pipeline.context(HttpServerCodec.class);
		if (codec == null) {
			return false;
		}
		HeadTimer headTimer = new HeadTimer(this.settings.headerTimeout().toNanos());
		pipeline.addBefore(codec.name(), HEAD_TIMER, headTimer);
		pipeline.addAfter(codec.name(), HEAD_GUARD, new RequestHeadGuard(this.settings.limitRequestFields(),
				this.settings.limitRequestFieldSize(), headTimer, this));
		return true;
	}

	/**
	 * The connection no longer speaks HTTP/1.1: from now on its bytes are HTTP/2 frames (or
	 * WebSocket frames), which the HTTP/1.1 guards must neither time nor answer with HTTP/1.1.
	 */
	void http11Ended(ChannelPipeline pipeline) {
		removeIfPresent(pipeline, HEAD_TIMER);
		removeIfPresent(pipeline, HEAD_GUARD);
	}

	private static void removeIfPresent(ChannelPipeline pipeline, String name) {
		if (pipeline.get(name) != null) {
			pipeline.remove(name);
		}
	}

}
