package dev.prefork.server;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.jspecify.annotations.Nullable;

import dev.prefork.process.Scoreboard;

/**
 * Spreads the shared socket's connections over the worker JVMs of process mode (Puma's workers
 * wait before accepting when busy; uWSGI and Unicorn share a scoreboard). Every JVM publishes,
 * live, in its scoreboard slot how many connections it has open and whether all its threads are
 * busy, and whether it is stalled (every thread busy and no request started for {@link #STALL_NANOS});
 * after taking a connection, one that holds more than its share of all open connections, has every
 * thread busy while another has a free one, or is stalled while another is not, stops accepting
 * until that is no longer so (over its share, for {@link #MAX_PAUSE_NANOS} at most), and the
 * others take the next ones. A worker whose threads are all stuck thus takes no new connection
 * while another is making progress, even when that one is momentarily busy too; only when every
 * worker is stalled does it accept again, so that a client gets the overload answer rather than
 * none. Counts the connections for the heartbeat too. Without a scoreboard it only counts.
 */
@ChannelHandler.Sharable
final class ConnectionBalancer extends ChannelInboundHandlerAdapter {

	/**
	 * Slot layout: bit 34 a worker is there, bit 33 it is stalled, bit 32 all its threads are busy,
	 * bits 0-31 its open connections.
	 */
	private static final long PRESENT = 1L << 34;

	private static final long STALLED = 1L << 33;

	private static final long SATURATED = 1L << 32;

	private static final long COUNT = 0xFFFF_FFFFL;

	/** How often a paused JVM looks again, and how long it stays paused at most. */
	private static final long CHECK_MICROS = 500;

	private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

	/**
	 * Every thread busy and no request started for this long: stuck, or at least slower than a
	 * worker that is making progress, which should take the next connection instead. Long
	 * against a request's usual time, short against {@code prefork.timeout}'s.
	 */
	static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(1);

	private final AtomicInteger open = new AtomicInteger();

	private final @Nullable Scoreboard scoreboard;

	private final int slot;

	private final BooleanSupplier saturated;

	private final LongSupplier started;

	private volatile @Nullable ScheduledFuture<?> publishing;

	/** Requests started at the last sample, and when that count last moved (or a thread was free). */
	private long startedAtSample;

	private long progressNanos = System.nanoTime();

	private volatile boolean stalled;

	/**
	 * {@code saturated} tells whether every request thread of this worker JVM is busy,
	 * {@code started} how many requests its threads have started.
	 */
	ConnectionBalancer(@Nullable Scoreboard scoreboard, int slot, BooleanSupplier saturated, LongSupplier started) {
		this.scoreboard = scoreboard;
		this.slot = slot;
		this.saturated = saturated;
		this.started = started;
	}

	int count() {
		return this.open.get();
	}

	@Override
	public void channelRegistered(ChannelHandlerContext ctx) {
		if (this.scoreboard != null && this.publishing == null) {
			// Saturation changes with every request; sampled every millisecond rather than
			// written on the request path.
			this.publishing = ctx.executor().scheduleAtFixedRate(() -> sample(ctx), 1, 1, TimeUnit.MILLISECONDS);
		}
		ctx.fireChannelRegistered();
	}

	@Override
	public void channelInactive(ChannelHandlerContext ctx) {
		ScheduledFuture<?> task = this.publishing;
		if (task != null) {
			task.cancel(false);
		}
		if (this.scoreboard != null) {
			this.scoreboard.set(this.slot, 0);
		}
		ctx.fireChannelInactive();
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object message) {
		if (message instanceof Channel connection) {
			this.open.incrementAndGet();
			connection.closeFuture().addListener((closed) -> {
				this.open.decrementAndGet();
				publish(this.saturated.getAsBoolean());
			});
		}
		ctx.fireChannelRead(message);
		if (this.scoreboard != null) {
			boolean saturated = this.saturated.getAsBoolean();
			publish(saturated);
			if (waitReason(saturated) != Wait.NO) {
				pause(ctx);
			}
		}
	}

	private void pause(ChannelHandlerContext ctx) {
		Channel server = ctx.channel();
		server.config().setAutoRead(false);
		resumeLater(ctx, server, System.nanoTime());
	}

	private void resumeLater(ChannelHandlerContext ctx, Channel server, long since) {
		ctx.executor().schedule(() -> {
			Wait reason = waitReason(this.saturated.getAsBoolean());
			boolean waiting = reason == Wait.SATURATED || reason == Wait.STALLED
					|| (reason == Wait.OVER_SHARE && System.nanoTime() - since < MAX_PAUSE_NANOS);
			if (server.isOpen() && waiting) {
				resumeLater(ctx, server, since);
			}
			else {
				// Not back on if this JVM refuses traffic meanwhile (see InheritedListenerLoops).
				server.config().setAutoRead(InheritedListenerLoops.isAccepting());
			}
		}, CHECK_MICROS, TimeUnit.MICROSECONDS);
	}

	/**
	 * Judges stalling and publishes, on the listening channel's loop. A worker that has just
	 * stalled stops accepting at once, not after the next connection it would take.
	 */
	private void sample(ChannelHandlerContext ctx) {
		long now = System.nanoTime();
		long started = this.started.getAsLong();
		boolean saturated = this.saturated.getAsBoolean();
		if (started != this.startedAtSample || !saturated) {
			this.startedAtSample = started;
			this.progressNanos = now;
		}
		this.stalled = now - this.progressNanos > STALL_NANOS;
		publish(saturated);
		if (this.stalled && ctx.channel().config().isAutoRead() && waitReason(saturated) == Wait.STALLED) {
			pause(ctx);
		}
	}

	/** {@code saturated}: whether every request thread is busy now, as the caller just read it. */
	private void publish(boolean saturated) {
		Scoreboard board = this.scoreboard;
		if (board == null) {
			return;
		}
		// Not ready yet, refusing traffic, or leaving: not there for the others to share with, or
		// they would hold back for a worker that takes nothing.
		board.set(this.slot, !InheritedListenerLoops.isAccepting() ? 0
				: PRESENT | (saturated ? SATURATED : 0) | ((saturated && this.stalled) ? STALLED : 0) | this.open.get());
	}

	private enum Wait {

		NO,

		/** More than its share of every worker's open connections: for a moment at most. */
		OVER_SHARE,

		/** Every thread busy while another worker has a free one: until that changes. */
		SATURATED,

		/** Stalled while another worker is not: until that changes. */
		STALLED

	}

	private Wait waitReason(boolean saturated) {
		Scoreboard board = this.scoreboard;
		int workers = 1;
		long total = this.open.get();
		boolean room = false;
		boolean progress = false;
		for (int other = 0; other < Scoreboard.SLOTS; other++) {
			long value = (other != this.slot) ? board.get(other) : 0;
			if ((value & PRESENT) != 0) {
				workers++;
				total += value & COUNT;
				room |= (value & SATURATED) == 0;
				progress |= (value & STALLED) == 0;
			}
		}
		if (progress && saturated && this.stalled) {
			return Wait.STALLED;
		}
		if (room && saturated) {
			return Wait.SATURATED;
		}
		long share = (total + workers - 1) / workers;
		return (this.open.get() > share + 1) ? Wait.OVER_SHARE : Wait.NO;
	}

}
