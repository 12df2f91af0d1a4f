package dev.prefork.server;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

import javax.net.ssl.TrustManagerFactory;

/**
 * A real HTTP/2 client made of Netty's own client codec: prior knowledge over cleartext, or
 * TLS with ALPN {@code h2}. It sends whatever headers it is given, also beyond the server's
 * advertised header list size, so that the server's own limits are what gets tested.
 */
final class H2Client implements AutoCloseable {

	private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

	private final CompletableFuture<Http2Settings> serverSettings = new CompletableFuture<>();

	private final CompletableFuture<Long> goAway = new CompletableFuture<>();

	/** The last SETTINGS_MAX_CONCURRENT_STREAMS the server sent, or -1 before any. */
	private volatile long maxConcurrentStreams = -1;

	private final String scheme;

	private final String authority;

	private final Channel channel;

	/** SETTINGS frames the server sent. */
	private final AtomicInteger settingsReceived = new AtomicInteger();

	private H2Client(int port, @Nullable SslContext ssl) throws InterruptedException {
		this(port, ssl, true);
	}

	private H2Client(int port, @Nullable SslContext ssl, boolean acknowledgeSettings) throws InterruptedException {
		this.scheme = (ssl != null) ? "https" : "http";
		String host = InetAddress.getLoopbackAddress().getHostAddress();
		this.authority = host + ":" + port;
		this.channel = new Bootstrap().group(this.group)
			.channel(NioSocketChannel.class)
			.handler(new ChannelInitializer<Channel>() {

				@Override
				protected void initChannel(Channel ch) {
					if (ssl != null) {
						ch.pipeline().addLast(ssl.newHandler(ch.alloc(), host, port));
					}
					ch.pipeline()
						.addLast(Http2FrameCodecBuilder.forClient()
							.encoderIgnoreMaxHeaderListSize(true)
							.autoAckSettingsFrame(acknowledgeSettings)
							.build(),
								new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
								new ConnectionFrames());
				}

			})
			.connect(host, port)
			.sync()
			.channel();
	}

	/** Connects over cleartext, starting HTTP/2 at once (prior knowledge). */
	static H2Client priorKnowledge(int port) throws InterruptedException {
		return new H2Client(port, null);
	}

	/** Connects like {@link #priorKnowledge}, and never acknowledges the server's settings. */
	static H2Client priorKnowledgeNeverAcknowledgingSettings(int port) throws InterruptedException {
		return new H2Client(port, null, false);
	}

	/** Connects over TLS, offering only {@code h2} through ALPN. */
	static H2Client tls(int port, TrustManagerFactory trust) throws Exception {
		SslContext ssl = SslContextBuilder.forClient()
			.trustManager(trust)
			.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
					ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
					ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
			.build();
		return new H2Client(port, ssl);
	}

	/** Sends a GET on a new stream with the given extra header fields and waits for its end. */
	Response get(String path, Map<String, String> fields) throws Exception {
		Http2Headers headers = headers(path);
		fields.forEach(headers::add);
		return send(headers);
	}

	/** The pseudo-header fields of a GET for the path, to add fields to. */
	Http2Headers headers(String path) {
		return new DefaultHttp2Headers().method("GET").path(path).scheme(this.scheme).authority(this.authority);
	}

	/** Sends the headers (END_STREAM) on a new stream and waits for the stream to close. */
	Response send(Http2Headers headers) throws Exception {
		return send(headers, true);
	}

	/**
	 * Sends the headers on a new stream and waits for the stream to close; without END_STREAM
	 * the request's body is still to come, and only the server can close the stream.
	 */
	Response send(Http2Headers headers, boolean endStream) throws Exception {
		return sendAsync(headers, endStream).get(10, TimeUnit.SECONDS);
	}

	/**
	 * Sends the headers on a new stream; completes when the stream closes, or exceptionally when
	 * it could not be opened (Netty's codec keeps to the server's SETTINGS_MAX_CONCURRENT_STREAMS).
	 */
	CompletableFuture<Response> sendAsync(Http2Headers headers, boolean endStream) throws Exception {
		StreamCollector collector = new StreamCollector();
		Http2StreamChannel stream = new Http2StreamChannelBootstrap(this.channel).handler(collector)
			.open()
			.get(5, TimeUnit.SECONDS);
		stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, endStream)).addListener((written) -> {
			if (!written.isSuccess()) {
				collector.response.completeExceptionally(written.cause());
			}
		});
		return collector.response;
	}

	/** How many SETTINGS frames the server sent. */
	int settingsReceived() {
		return this.settingsReceived.get();
	}

	/** The last SETTINGS_MAX_CONCURRENT_STREAMS the server sent, or -1 before any. */
	long maxConcurrentStreams() {
		return this.maxConcurrentStreams;
	}

	/** The server's first SETTINGS frame. */
	Http2Settings serverSettings() throws Exception {
		return this.serverSettings.get(5, TimeUnit.SECONDS);
	}

	/** The error code of the GOAWAY the server sent, if any. */
	@Nullable Long goAwayErrorCode() {
		return this.goAway.getNow(null);
	}

	/** Whether the server closed the connection within the given time. */
	boolean isClosedWithin(Duration timeout) {
		return this.channel.closeFuture().awaitUninterruptibly(timeout.toMillis());
	}

	boolean isOpen() {
		return this.channel.isActive();
	}

	@Override
	public void close() {
		this.channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
		this.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
	}

	/** What a stream ended with: a status and body, or a reset. */
	record Response(@Nullable String status, String body, @Nullable Long resetCode) {

		@Override
		public String toString() {
			return "status " + this.status + ", body '" + this.body + "', reset " + this.resetCode;
		}

	}

	/** Frames of the connection itself (stream 0), which the multiplex handler passes on. */
	private final class ConnectionFrames extends ChannelInboundHandlerAdapter {

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (msg instanceof Http2SettingsFrame settings) {
				H2Client.this.settingsReceived.incrementAndGet();
				H2Client.this.serverSettings.complete(settings.settings());
				Long streams = settings.settings().maxConcurrentStreams();
				if (streams != null) {
					H2Client.this.maxConcurrentStreams = streams;
				}
			}
			else if (msg instanceof Http2GoAwayFrame frame) {
				H2Client.this.goAway.complete(frame.errorCode());
			}
			ReferenceCountUtil.release(msg);
		}

	}

	private static final class StreamCollector extends ChannelInboundHandlerAdapter {

		final CompletableFuture<Response> response = new CompletableFuture<>();

		private final ByteArrayOutputStream body = new ByteArrayOutputStream();

		private @Nullable String status;

		private @Nullable Long resetCode;

		@Override
		public boolean isSharable() {
			return false;
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			try {
				if (msg instanceof Http2HeadersFrame headers) {
					CharSequence code = headers.headers().status();
					if (this.status == null && code != null && code.charAt(0) != '1') {
						this.status = code.toString();
					}
				}
				else if (msg instanceof Http2DataFrame data) {
					byte[] bytes = new byte[data.content().readableBytes()];
					data.content().readBytes(bytes);
					this.body.writeBytes(bytes);
				}
			}
			finally {
				ReferenceCountUtil.release(msg);
			}
		}

		@Override
		public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
			if (evt instanceof Http2ResetFrame reset) {
				this.resetCode = reset.errorCode();
			}
			ctx.fireUserEventTriggered(evt);
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			// The stream is closed: both sides ended it, or one reset it.
			this.response.complete(new Response(this.status, this.body.toString(), this.resetCode));
		}

	}

}
