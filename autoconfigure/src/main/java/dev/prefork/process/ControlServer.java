package dev.prefork.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.util.AttributeKey;

/**
 * The arbiter's end of the control channel: a Unix domain socket in a directory only this user
 * can enter. A worker says {@code hello <id>}; it is sent the listening sockets' descriptors
 * (SCM_RIGHTS: the application's, then the management server's if there is one), then says {@code ready} once serving and {@code beat ...} every second, and
 * relays what an operator asks its actuator endpoint for; the arbiter sends {@code view ...}
 * every second. A worker leaving is seen from its process, not from this connection.
 */
final class ControlServer implements AutoCloseable {

	/** Longest line a worker sends; a longer one is a broken worker. */
	private static final int MAX_LINE = 512;

	private static final AttributeKey<Integer> WORKER = AttributeKey.valueOf("prefork.worker");

	private final Path path;

	private final Channel channel;

	private ControlServer(Path path, Channel channel) {
		this.path = path;
		this.channel = channel;
	}

	static ControlServer bind(Path path, EventLoopGroup group, List<FileDescriptor> listening, Messages messages)
			throws IOException {
		Files.deleteIfExists(path);
		ServerBootstrap bootstrap = new ServerBootstrap().group(group)
			.channel(EpollServerDomainSocketChannel.class)
			.childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {

				@Override
				protected void initChannel(EpollDomainSocketChannel channel) {
					channel.pipeline()
						.addLast(new LineBasedFrameDecoder(MAX_LINE), new StringDecoder(StandardCharsets.US_ASCII),
								new Handler(listening, messages));
				}

			});
		try {
			return new ControlServer(path, bootstrap.bind(new DomainSocketAddress(path.toFile())).sync().channel());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException("Interrupted while binding the control socket " + path, ex);
		}
	}

	Path path() {
		return this.path;
	}

	@Override
	public void close() {
		this.channel.close().syncUninterruptibly();
		try {
			Files.deleteIfExists(this.path);
		}
		catch (IOException ex) {
			// Its directory goes too, or is left in the temporary directory.
		}
	}

	/** What workers tell the arbiter, called on the control channel's event loop. */
	interface Messages {

		/**
		 * A process ({@code peerPid}, from the socket's credentials) asked for the sockets as
		 * {@code worker}: {@code false} unless it is that worker's process, asking for the first time.
		 */
		boolean hello(int worker, long peerPid, Channel channel);

		void ready(int worker);

		void beat(int worker, Heartbeat heartbeat);

		/**
		 * An operator's request relayed by a worker (its actuator endpoint): {@code restart},
		 * {@code scale <n>}, {@code scale-by <change>} or {@code recycle <id>}.
		 */
		void request(int worker, String request);

	}

	private static final class Handler extends SimpleChannelInboundHandler<String> {

		private final List<FileDescriptor> listening;

		private final Messages messages;

		Handler(List<FileDescriptor> listening, Messages messages) {
			this.listening = listening;
			this.messages = messages;
		}

		@Override
		protected void channelRead0(ChannelHandlerContext ctx, String line) {
			Integer worker = ctx.channel().attr(WORKER).get();
			if (worker == null) {
				hello(ctx, line);
			}
			else if (line.equals("ready")) {
				this.messages.ready(worker);
				// Tells a worker that this arbiter reads the longer beat; one of an arbiter that
				// started with an older jar never hears it and keeps to the five fields.
				ctx.writeAndFlush(
						Unpooled.copiedBuffer("protocol " + Heartbeat.PROTOCOL + "\n", StandardCharsets.US_ASCII));
			}
			else if (line.startsWith("beat ")) {
				Heartbeat heartbeat = Heartbeat.parse(line.substring(5));
				if (heartbeat != null) {
					this.messages.beat(worker, heartbeat);
				}
			}
			else {
				this.messages.request(worker, line);
			}
		}

		private void hello(ChannelHandlerContext ctx, String line) {
			int worker = parseHello(line);
			long peer = peerPid(ctx.channel());
			if (worker < 1 || !this.messages.hello(worker, peer, ctx.channel())) {
				ctx.close();
				return;
			}
			ctx.channel().attr(WORKER).set(worker);
			// The application's socket first, then the management server's if it has one.
			this.listening.forEach(ctx::write);
			ctx.flush();
		}

		private static long peerPid(Channel channel) {
			try {
				return ((EpollDomainSocketChannel) channel).peerCredentials().pid();
			}
			catch (IOException ex) {
				return -1;
			}
		}

		private static int parseHello(String line) {
			if (!line.startsWith("hello ")) {
				return -1;
			}
			try {
				return Integer.parseInt(line.substring(6).trim());
			}
			catch (NumberFormatException ex) {
				return -1;
			}
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			ctx.close();
		}

	}

}
