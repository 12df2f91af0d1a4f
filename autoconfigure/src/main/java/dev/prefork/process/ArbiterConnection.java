package dev.prefork.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * A worker JVM's line to the process arbiter (process mode): asks it for the listening sockets'
 * descriptors, says when the server is ready, and beats every second with a progress snapshot.
 * The arbiter closing the line means it is gone; the worker then stops rather than serve on,
 * unsupervised ("parent died", as Puma's workers do).
 */
public final class ArbiterConnection implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(ArbiterConnection.class);

	private static final long BEAT_MILLIS = 1000;

	/** Longest view line accepted: about 100 bytes per worker JVM, for the most there can be. */
	private static final int MAX_VIEW_LINE = 128 * 1024;

	private final EventLoopGroup group;

	private final Channel channel;

	private final List<FileDescriptor> listening;

	private volatile boolean closing;

	private volatile @Nullable ProcessView view;

	/** The lines the arbiter reads: 1 until it says otherwise (see {@link Heartbeat}). */
	private volatile int protocol = 1;

	private ArbiterConnection(EventLoopGroup group, Channel channel, List<FileDescriptor> listening) {
		this.group = group;
		this.channel = channel;
		this.listening = listening;
	}

	/**
	 * Connects to the arbiter's control socket as worker {@code workerId} and waits for the
	 * {@code descriptors} listening sockets; {@code onArbiterGone} runs (on another thread) if the line closes while
	 * the worker still runs, {@code onView} with each view of the server the arbiter sends.
	 */
	public static ArbiterConnection connect(Path controlSocket, int workerId, int descriptors, Duration timeout,
			Runnable onArbiterGone, Consumer<ProcessView> onView) throws IOException {
		EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("prefork-arbiter-line", true),
				EpollIoHandler.newFactory());
		CompletableFuture<List<FileDescriptor>> descriptor = new CompletableFuture<>();
		List<FileDescriptor> received = new ArrayList<>();
		ArbiterConnection[] self = new ArbiterConnection[1];
		try {
			Channel channel = new Bootstrap().group(group)
				.channel(EpollDomainSocketChannel.class)
				.option(EpollChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS)
				.handler(new ChannelInboundHandlerAdapter() {

					@Override
					public void channelRead(ChannelHandlerContext ctx, Object message) {
						if (message instanceof FileDescriptor fd && received.add(fd) && received.size() == descriptors
								&& descriptor.complete(List.copyOf(received))) {
							// From now on the arbiter sends lines: its view of the server.
							ctx.pipeline()
								.addBefore(ctx.name(), "lines", new LineBasedFrameDecoder(MAX_VIEW_LINE))
								.addBefore(ctx.name(), "text", new StringDecoder(StandardCharsets.US_ASCII));
							((EpollDomainSocketChannel) ctx.channel()).config()
								.setReadMode(DomainSocketReadMode.BYTES);
						}
						else if (message instanceof String line && line.startsWith("protocol ")) {
							ArbiterConnection connection = self[0];
							if (connection != null) {
								connection.protocol = parseProtocol(line.substring(9));
							}
						}
						else if (message instanceof String line && line.startsWith("view ")) {
							ArbiterConnection connection = self[0];
							ProcessView view = ProcessView.parse(line.substring(5));
							if (connection != null && view != null) {
								connection.view = view;
								onView.accept(view);
							}
						}
						ReferenceCountUtil.release(message);
					}

					@Override
					public void channelInactive(ChannelHandlerContext ctx) {
						descriptor.completeExceptionally(new IOException("The arbiter closed the control socket"));
						ArbiterConnection connection = self[0];
						if (connection != null && !connection.closing) {
							logger.error("The arbiter is gone (its control socket closed): stopping this worker");
							Thread stop = new Thread(onArbiterGone, "prefork-arbiter-gone");
							stop.setDaemon(false);
							stop.start();
						}
					}

				})
				.connect(new DomainSocketAddress(controlSocket.toFile()))
				.sync()
				.channel();
			channel.writeAndFlush(line("hello " + workerId));
			List<FileDescriptor> listening = descriptor.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
			self[0] = new ArbiterConnection(group, channel, listening);
			return self[0];
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			group.shutdownGracefully();
			throw new IOException("Interrupted while connecting to the arbiter", ex);
		}
		catch (ExecutionException | TimeoutException | RuntimeException ex) {
			group.shutdownGracefully();
			throw new IOException("No listening socket from the arbiter at " + controlSocket + ": " + ex.getMessage(),
					ex);
		}
	}

	/**
	 * Relays an operator's request to the arbiter: {@code restart} (every worker JVM, one at a
	 * time), {@code scale <n>}, {@code scale-by <change>} or {@code recycle <id>}.
	 */
	public void request(String request) {
		this.channel.writeAndFlush(line(request));
	}

	/** The arbiter's latest view of the whole server, or {@code null} before the first one. */
	public @Nullable ProcessView view() {
		return this.view;
	}

	/**
	 * A listening socket the arbiter shares with every worker: 0 the application's, 1 the
	 * management server's.
	 */
	public FileDescriptor listening(int index) {
		return this.listening.get(index);
	}

	/** Tells the arbiter the server is serving, then beats with {@code snapshot} every second. */
	public void ready(Supplier<Heartbeat> snapshot) {
		this.channel.writeAndFlush(line("ready"));
		this.channel.eventLoop().scheduleAtFixedRate(() -> {
			if (this.channel.isActive()) {
				this.channel.writeAndFlush(line("beat " + snapshot.get().format(this.protocol)));
			}
		}, BEAT_MILLIS, BEAT_MILLIS, TimeUnit.MILLISECONDS);
	}

	private static int parseProtocol(String text) {
		try {
			return Math.min(Heartbeat.PROTOCOL, Integer.parseInt(text.trim()));
		}
		catch (NumberFormatException ex) {
			return 1;
		}
	}

	private static ByteBuf line(String text) {
		return Unpooled.copiedBuffer(text + "\n", StandardCharsets.US_ASCII);
	}

	@Override
	public void close() {
		this.closing = true;
		this.channel.close();
		this.group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
	}

}
