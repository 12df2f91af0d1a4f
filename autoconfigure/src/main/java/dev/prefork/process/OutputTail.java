package dev.prefork.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Copies a worker's output to the arbiter's, line by line, keeping the last few lines: the
 * reason a worker failed to boot is usually in them, and the arbiter reports them when it halts.
 */
final class OutputTail {

	private static final int LINES = 40;

	/** Longest piece of a line passed on at once. */
	private static final int MAX_LINE = 16 * 1024;

	private final Deque<String> last = new ArrayDeque<>(LINES);

	private final Thread pump;

	OutputTail(InputStream output, PrintStream to, String threadName) {
		this.pump = new Thread(() -> pump(output, to), threadName);
		this.pump.setDaemon(true);
		this.pump.start();
	}

	private void pump(InputStream output, PrintStream to) {
		try (BufferedReader reader = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
			StringBuilder line = new StringBuilder();
			int next;
			while ((next = reader.read()) != -1) {
				if (next == '\n' || line.length() >= MAX_LINE) {
					// A line without an end (or a huge one) is passed on in pieces: the arbiter's
					// memory must not depend on what a worker writes.
					emit(line.toString(), to);
					line.setLength(0);
					if (next == '\n') {
						continue;
					}
				}
				line.append((char) next);
			}
			if (line.length() > 0) {
				emit(line.toString(), to);
			}
		}
		catch (IOException ex) {
			// The worker is gone; what it wrote is kept.
		}
	}

	private void emit(String line, PrintStream to) {
		to.println(line);
		synchronized (this.last) {
			if (this.last.size() == LINES) {
				this.last.removeFirst();
			}
			this.last.addLast(line);
		}
	}

	/** Waits (briefly) for the pump to copy what the exited worker left in the pipe. */
	void drain(long millis) {
		try {
			this.pump.join(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	List<String> lines() {
		synchronized (this.last) {
			return new ArrayList<>(this.last);
		}
	}

}
