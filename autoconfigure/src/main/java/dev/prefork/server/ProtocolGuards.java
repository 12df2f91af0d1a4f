package dev.prefork.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import org.jspecify.annotations.Nullable;
import reactor.netty.NettyPipeline;

/**
 * Puts Prefork's request guards into one connection's pipeline, for the protocol the connection
 * speaks, and swaps them when it changes protocol. HTTP/1.1 gets a {@link HeadTimer} before its
 * codec and a {@link RequestHeadGuard} after it; HTTP/2 gets an {@link Http2StreamGuard} in front
 * of the multiplex handler and, until its first request's head, an {@link Http2HeadTimer}.
 * <p>
 * reactor-netty does not always have an HTTP/1.1 codec named {@link NettyPipeline#HttpCodec}
 * when a connection is initialised, so the codecs are found by their type and, where the protocol
 * is not known yet, the guards wait for it:
 * <ul>
 * <li>HTTP/1.1 only, with or without TLS: the named codec is there from the start;
 * <li>h2c ({@code server.http2.enabled} without TLS): {@code CleartextHttp2ServerUpgradeHandler}
 * adds the HTTP/1.1 codec under a generated name, and swaps it for the HTTP/2 codec when the
 * HTTP/2 preface arrives (prior knowledge) or an {@code Upgrade: h2c} request is answered
 * {@code 101}; {@link RequestHeadGuard} sees both and calls {@link #priorKnowledge} or
 * {@link #upgraded};
 * <li>TLS with ALPN: reactor-netty's {@code H2OrHttp11Codec} builds the pipeline only once the
 * handshake has chosen the protocol; {@link NegotiatedProtocolGuards} waits for that.
 * </ul>
 * One instance per connection, used on its event loop only.
 */
final class ProtocolGuards {

	static final String HEAD_TIMER = "prefork.headTimer";

	static final String HEAD_GUARD = "prefork.headGuard";

	static final String NEGOTIATION = "prefork.negotiatedProtocolGuards";

	static final String H2_HEAD_TIMER = "prefork.h2HeadTimer";

	static final String H2_STREAM_GUARD = "prefork.h2StreamGuard";

	static final String H2_FLUSH_CONSOLIDATION = "prefork.h2FlushConsolidation";

	static final String H2_STREAM_BUDGET = "prefork.h2StreamBudget";

	/**
	 * Flushes an HTTP/2 connection may hold back while it reads, or while the answers its worker
	 * threads hand back queue on its event loop; Netty's default.
	 */
	private static final int H2_FLUSHES_HELD_AT_MOST = FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES;

	private final ServerSettings settings;

	private final @Nullable AccessLog accessLog;

	private final Http2StreamBudget streams;

	/** When the connection was accepted (near enough: when reactor-netty initialised it). */
	private final long connectedAt = System.nanoTime();

	private ProtocolGuards(ServerSettings settings, @Nullable AccessLog accessLog, Http2StreamBudget streams) {
		this.settings = settings;
		this.accessLog = accessLog;
		this.streams = streams;
	}

	/**
	 * Guards a connection whose pipeline reactor-netty has just built.
	 * @param accessLog where the guards log the requests they answer themselves, or {@code null}
	 * @param streams what tells HTTP/2 connections how many streams they may open
	 */
	static void install(Channel channel, ServerSettings settings, @Nullable AccessLog accessLog,
			Http2StreamBudget streams) {
		ProtocolGuards guards = new ProtocolGuards(settings, accessLog, streams);
		ChannelPipeline pipeline = channel.pipeline();
		if (pipeline.get(NettyPipeline.H2OrHttp11Codec) != null) {
			pipeline.addAfter(NettyPipeline.H2OrHttp11Codec, NEGOTIATION, new NegotiatedProtocolGuards(guards));
		}
		else {
			guards.guardNegotiated(pipeline);
		}
	}

	/** Guards the protocol whose codec the pipeline has. */
	void guardNegotiated(ChannelPipeline pipeline) {
		ChannelHandlerContext http11 = pipeline.context(HttpServerCodec.class);
		if (http11 != null) {
			guardHttp11(pipeline, http11.name());
		}
		else if (pipeline.get(Http2FrameCodec.class) != null) {
			guardHttp2(pipeline, true);
		}
	}

	/** An HTTP/2 preface arrived where an HTTP/1.1 request line was expected. */
	void priorKnowledge(ChannelPipeline pipeline) {
		removeHttp11(pipeline);
		guardHttp2(pipeline, true);
	}

	/**
	 * The connection switched from HTTP/1.1 to the given protocol ({@code 101}): its bytes are
	 * now HTTP/2 or WebSocket frames, which the HTTP/1.1 guards must neither time nor answer.
	 */
	void upgraded(ChannelPipeline pipeline, String protocol) {
		removeHttp11(pipeline);
		if (protocol.equalsIgnoreCase("h2c")) {
			guardHttp2(pipeline, false); // the upgrade request was the first request
		}
	}

	private void guardHttp11(ChannelPipeline pipeline, String codec) {
		HeadTimer headTimer = new HeadTimer(this.settings.headerTimeout().toNanos(),
				(this.accessLog != null) ? new HeadTimer.RequestLineCapture(this.settings.limitRequestLine(),
						this.accessLog) : null);
		pipeline.addBefore(codec, HEAD_TIMER, headTimer);
		pipeline.addAfter(codec, HEAD_GUARD, new RequestHeadGuard(this.settings.limitRequestFields(),
				this.settings.limitRequestFieldSize(), headTimer, this, this.accessLog));
	}

	private void guardHttp2(ChannelPipeline pipeline, boolean firstRequestPending) {
		addBeforeMultiplexer(pipeline, H2_STREAM_GUARD,
				new Http2StreamGuard(this.settings.limitRequestFields(), this.settings.limitRequestFieldSize(),
						this.accessLog));
		// Each answer comes back from a worker thread as a task of the event loop, and each would
		// flush, one write to the socket per stream: held back until the tasks queued with it have
		// run, the answers of a connection's streams go out in one write, as they do on stock
		// reactor-netty, which answers them all while it reads.
		addBeforeMultiplexer(pipeline, H2_FLUSH_CONSOLIDATION,
				new FlushConsolidationHandler(H2_FLUSHES_HELD_AT_MOST, true));
		addBeforeMultiplexer(pipeline, H2_STREAM_BUDGET, this.streams.newConnection());
		if (firstRequestPending) {
			long deadline = this.connectedAt + this.settings.headerTimeout().toNanos();
			pipeline.addBefore(H2_STREAM_GUARD, H2_HEAD_TIMER, new Http2HeadTimer(deadline));
		}
	}

	/**
	 * In front of the multiplex handler, which hands stream frames to stream channels. During an
	 * h2c upgrade it is not there yet: reactor-netty adds it last once the HTTP/2 codec is in,
	 * which still puts it behind a handler added last now.
	 */
	private static void addBeforeMultiplexer(ChannelPipeline pipeline, String name, ChannelHandler handler) {
		if (pipeline.get(NettyPipeline.H2MultiplexHandler) != null) {
			pipeline.addBefore(NettyPipeline.H2MultiplexHandler, name, handler);
		}
		else {
			pipeline.addLast(name, handler);
		}
	}

	private static void removeHttp11(ChannelPipeline pipeline) {
		removeIfPresent(pipeline, HEAD_TIMER);
		removeIfPresent(pipeline, HEAD_GUARD);
	}

	private static void removeIfPresent(ChannelPipeline pipeline, String name) {
		if (pipeline.get(name) != null) {
			pipeline.remove(name);
		}
	}

}
