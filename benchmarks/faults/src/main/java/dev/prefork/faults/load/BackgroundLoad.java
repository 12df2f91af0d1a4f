package dev.prefork.faults.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.prefork.faults.http.HttpConnection;
import dev.prefork.faults.http.HttpResponse;
import dev.prefork.faults.http.TransportFailure;

/**
 * Steady, paced load from a few keep-alive connections (see {@link LoadShape}). Every request is
 * judged by the {@link ResponsePolicy} of the phase in which it was sent, and recorded twice: in
 * that phase's window and in the window that covers the whole run. A connection the server closed
 * is reopened for the next request; nothing is ever retried.
 */
public final class BackgroundLoad implements AutoCloseable {

	/** The client timeout: a request unanswered for this long counts as a failure. */
	public static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(10);

	private final InetSocketAddress target;

	private final LoadShape shape;

	private final LoadWindow total;

	private final List<Thread> clients = new ArrayList<>();

	private final AtomicLong connectionsOpened = new AtomicLong();

	private final AtomicLong budgetLeft;

	private volatile Phase phase;

	private volatile boolean running = true;

	private BackgroundLoad(String name, InetSocketAddress target, LoadShape shape, ResponsePolicy policy) {
		this.target = target;
		this.shape = shape;
		this.total = new LoadWindow(name);
		this.phase = new Phase(this.total, policy);
		this.budgetLeft = new AtomicLong((shape.budget() > 0) ? shape.budget() : Long.MAX_VALUE);
	}

	public static BackgroundLoad start(String name, InetSocketAddress target, LoadShape shape, ResponsePolicy policy) {
		BackgroundLoad load = new BackgroundLoad(name, target, shape, policy);
		for (int i = 0; i < shape.clients(); i++) {
			int offset = i;
			Thread client = new Thread(() -> load.runClient(offset), "faults-" + name + "-" + i);
			client.setDaemon(true);
			load.clients.add(client);
		}
		load.clients.forEach(Thread::start);
		return load;
	}

	/** Starts a new measurement window: requests sent from now on are recorded in it. */
	public LoadWindow beginPhase(String name) {
		return beginPhase(name, this.phase.policy());
	}

	/** Starts a new measurement window whose requests are judged by {@code policy}. */
	public LoadWindow beginPhase(String name, ResponsePolicy policy) {
		LoadWindow previous = this.phase.window();
		LoadWindow next = new LoadWindow(name);
		this.phase = new Phase(next, policy);
		if (previous != this.total) {
			previous.end();
		}
		return next;
	}

	/** Everything since the load started. */
	public LoadWindow total() {
		return this.total;
	}

	/** Connections opened so far: more than the number of clients means the server closed some. */
	public long connectionsOpened() {
		return this.connectionsOpened.get();
	}

	/** Waits until a load with a budget has sent (and heard back about) every request. */
	public boolean awaitBudgetSpent(Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		for (Thread client : this.clients) {
			long left = deadline - System.nanoTime();
			if (left <= 0) {
				return false;
			}
			TimeUnit.NANOSECONDS.timedJoin(client, left);
			if (client.isAlive()) {
				return false;
			}
		}
		return true;
	}

	/** Stops sending; requests in flight finish (or time out) and are recorded. */
	public void stop() {
		this.running = false;
		for (Thread client : this.clients) {
			try {
				client.join(CLIENT_TIMEOUT.toMillis() + 5_000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
		this.phase.window().end();
		this.total.end();
	}

	@Override
	public void close() {
		stop();
	}

	private void runClient(int offset) {
		List<RequestSpec> mix = this.shape.mix();
		long interval = this.shape.interval().toNanos();
		// Spread the clients over one interval so that they do not fire in lockstep.
		long next = System.nanoTime() + interval * offset / Math.max(1, this.shape.clients());
		HttpConnection connection = null;
		int turn = offset;
		while (this.running && this.budgetLeft.getAndDecrement() > 0) {
			pauseUntil(next);
			RequestSpec spec = mix.get(turn++ % mix.size());
			Phase phase = this.phase;
			long sent = System.nanoTime();
			next = Math.max(sent, next) + interval;
			try {
				if (connection == null || !connection.isOpen()) {
					connection = HttpConnection.open(this.target, CLIENT_TIMEOUT);
					this.connectionsOpened.incrementAndGet();
				}
				HttpResponse response = connection.send(spec.method(), spec.target(), "text/plain", spec.body());
				record(phase.window(), spec, phase.policy().judge(spec, response, sent), sent, null);
			}
			catch (IOException ex) {
				String detail = ex.getClass().getSimpleName() + ": " + ex.getMessage() + ", connection's request #"
						+ ((connection != null) ? connection.exchanges() : 0);
				record(phase.window(), spec, phase.policy().judge(spec, TransportFailure.of(ex), sent), sent, detail);
			}
		}
		if (connection != null) {
			connection.close();
		}
	}

	private void record(LoadWindow phase, RequestSpec spec, Verdict verdict, long sentNanos, String detail) {
		long latency = System.nanoTime() - sentNanos;
		phase.record(spec, verdict, latency, detail);
		if (phase != this.total) {
			this.total.record(spec, verdict, latency, detail);
		}
	}

	private record Phase(LoadWindow window, ResponsePolicy policy) {
	}

	private void pauseUntil(long deadlineNanos) {
		long wait;
		while (this.running && (wait = deadlineNanos - System.nanoTime()) > 0) {
			LockSupport.parkNanos(wait);
		}
	}

}
