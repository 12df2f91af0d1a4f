package dev.prefork.server;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollMode;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

/**
 * Event loops that give reactor-netty, instead of a new server socket, the listening socket the
 * process arbiter handed over (process mode): already bound and listening, shared with the other
 * worker JVMs, so its {@code bind} is answered without binding. Everything else is the
 * delegate's.
 */
final class InheritedListenerLoops implements LoopResources {

	/** Every channel of this JVM listening on a socket the arbiter shares (application, management). */
	private static final Set<Channel> LISTENING = ConcurrentHashMap.newKeySet();

	/** How long leaving waits for the listening channels to close. */
	private static final long CLOSE_MILLIS = 500;

	/** How long leaving waits, at most, for the connections it took to have their answers begun. */
	private static final long ANSWER_MILLIS = 1000;

	/** The connections taken on every shared socket that have had no answer yet. */
	private static final FirstAnswers UNANSWERED = new FirstAnswers();

	private static final AtomicBoolean LEAVING_ON_SHUTDOWN = new AtomicBoolean();

	/** This JVM is leaving: its listening channels are closed, and never accept again. */
	private static volatile boolean leaving;

	/**
	 * Whether this JVM's listening channels take connections: in a worker JVM of process mode,
	 * only once it is ready and while Spring does not have it refusing traffic.
	 */
	private static volatile boolean accepting = true;

	/** Whether this worker JVM has been ready: refusing traffic before that does not end early. */
	private static volatile boolean ready;

	private final LoopResources delegate;

	private final FileDescriptor listening;

	private final @Nullable ConnectionBalancer connections;

	/** {@code connections} counts and spreads the connections accepted on it, if not {@code null}. */
	InheritedListenerLoops(LoopResources delegate, FileDescriptor listening, @Nullable ConnectionBalancer connections) {
		this.delegate = delegate;
		this.listening = listening;
		this.connections = connections;
	}

	@Override
	@SuppressWarnings("unchecked")
	public <C extends Channel> C onChannel(Class<C> type, EventLoopGroup group) {
		if (!ServerChannel.class.isAssignableFrom(type)) {
			return this.delegate.onChannel(type, group);
		}
		EpollServerSocketChannel channel = new EpollServerSocketChannel(this.listening.intValue());
		// One connection per wake-up, level-triggered: every worker JVM waiting is woken while
		// connections wait (there is no EPOLLEXCLUSIVE), so taking one and going back lets the
		// others take the next ones, instead of the first awake draining a burst (up to 16).
		channel.config().setOption(ChannelOption.MAX_MESSAGES_PER_READ, 1);
		channel.config().setOption(EpollChannelOption.EPOLL_MODE, EpollMode.LEVEL_TRIGGERED);
		channel.pipeline().addFirst(new ChannelDuplexHandler() {

			@Override
			public void bind(ChannelHandlerContext ctx, SocketAddress address, ChannelPromise promise) {
				promise.setSuccess();
			}

			@Override
			public void channelRegistered(ChannelHandlerContext ctx) {
				// The flag as it is now: it may have changed since the channel was made.
				ctx.channel().config().setAutoRead(accepting);
				ctx.fireChannelRegistered();
			}

		});
		if (this.connections != null) {
			channel.pipeline().addFirst(this.connections);
		}
		channel.pipeline().addFirst(UNANSWERED);
		// Reads nothing until registered, and then what the flag says (see acceptEverywhereAsFlagged).
		channel.config().setAutoRead(false);
		LISTENING.add(channel);
		channel.closeFuture().addListener((closed) -> LISTENING.remove(channel));
		return (C) channel;
	}

	/**
	 * Makes this JVM (a worker of process mode) accept on no shared socket until it is
	 * {@link #startAcceptingEverywhere() ready}; called before its listening channels exist (a
	 * server started again after a stop, in a JVM that was ready, is left as it is).
	 */
	static void acceptOnlyOnceReady() {
		if (!ready) {
			accepting = false;
		}
	}

	/**
	 * This JVM is ready: it takes connections on every shared socket from now on. Until then a
	 * worker JVM that starts beside serving ones accepts nothing, so no connection (a readiness
	 * probe on a shared management port) reaches an application that is not ready yet.
	 */
	static void startAcceptingEverywhere() {
		ready = true;
		resumeAccepting();
	}

	/** Whether this JVM's listening channels take connections now (see {@link #accepting}). */
	static boolean isAccepting() {
		return accepting;
	}

	/**
	 * Spring has this JVM refusing traffic (its context closing, or the application saying so):
	 * it takes no new connection on any shared socket, which the other worker JVMs take, and
	 * returns once the connections it took have their answers begun ({@link FirstAnswers}), or
	 * after a moment; before that, Spring has not recorded the change, so what they asked is
	 * answered as it would have been when they came.
	 */
	static void pauseAccepting() {
		// Every time, even when the flag is down already: the shutdown hook may have lowered it
		// and still be closing the channels, and Spring records the change once this returns.
		accepting = false;
		acceptEverywhereAsFlagged(true);
		UNANSWERED.awaitAnswered(ANSWER_MILLIS);
	}

	/** Spring has this JVM accepting traffic again: if it has been ready, it takes connections again. */
	static void resumeAccepting() {
		if (ready && !leaving && !accepting) {
			accepting = true;
			acceptEverywhereAsFlagged(false);
		}
	}

	/**
	 * Each listening channel made to read, or not, as {@link #accepting} says when its event loop
	 * gets to it. One not registered yet reads the flag as it registers: the flag is set before
	 * the set is walked, and a channel joins the set before it registers, so none is missed.
	 */
	private static void acceptEverywhereAsFlagged(boolean await) {
		for (Channel channel : List.copyOf(LISTENING)) {
			if (channel.isRegistered()) {
				Future<?> done = channel.eventLoop().submit(() -> channel.config().setAutoRead(accepting));
				if (await) {
					done.awaitUninterruptibly(CLOSE_MILLIS);
				}
			}
		}
	}

	/**
	 * A worker JVM leaving (SIGTERM, however it ends): it stops accepting on every shared socket
	 * at once, before Spring marks it refusing traffic, so that the other worker JVMs take the new
	 * connections (probes included) while it finishes what it has; and it returns once the
	 * connections it took have their answers begun ({@link FirstAnswers}), or after a moment.
	 */
	static void stopAcceptingEverywhere() {
		leaving = true;
		accepting = false;
		for (Channel channel : List.copyOf(LISTENING)) {
			channel.close().awaitUninterruptibly(CLOSE_MILLIS);
		}
		UNANSWERED.awaitAnswered(ANSWER_MILLIS);
	}

	/**
	 * Makes this JVM (a worker of process mode) {@link #stopAcceptingEverywhere() stop accepting}
	 * as soon as it starts shutting down, however it ends: a shutdown hook of its own, beside
	 * Spring's. When Spring's closes the context, the context's {@code REFUSING_TRAFFIC} makes it
	 * stop too, before Spring records it (see {@link #pauseAccepting()}); this covers an exit that
	 * closes no context.
	 */
	static void stopAcceptingOnShutdown() {
		if (LEAVING_ON_SHUTDOWN.compareAndSet(false, true)) {
			Runtime.getRuntime()
				.addShutdownHook(new Thread(InheritedListenerLoops::stopAcceptingEverywhere, "prefork-leave"));
		}
	}

	@Override
	public <C extends Channel> Class<? extends C> onChannelClass(Class<C> type, EventLoopGroup group) {
		return this.delegate.onChannelClass(type, group);
	}

	@Override
	public EventLoopGroup onServer(boolean useNative) {
		// The inherited socket is an epoll one: the loops must be epoll ones too.
		return this.delegate.onServer(true);
	}

	@Override
	public EventLoopGroup onServerSelect(boolean useNative) {
		return this.delegate.onServerSelect(true);
	}

	@Override
	public EventLoopGroup onClient(boolean useNative) {
		return this.delegate.onClient(useNative);
	}

	@Override
	public boolean daemon() {
		return this.delegate.daemon();
	}

	@Override
	public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
		return this.delegate.disposeLater(quietPeriod, timeout);
	}

	@Override
	public void dispose() {
		this.delegate.dispose();
	}

	@Override
	public boolean isDisposed() {
		return this.delegate.isDisposed();
	}

}
