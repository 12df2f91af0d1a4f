package dev.prefork.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Reads how many connections wait in the kernel's accept queue of a listening socket, from
 * {@code /proc/net/tcp} and {@code /proc/net/tcp6} on Linux, where a LISTEN socket's
 * {@code rx_queue} column is its current accept-queue length. Elsewhere the answer is
 * {@code null}: unknown, not zero.
 * <p>
 * Those tables list every socket of the machine, TIME_WAIT ones included, so on a busy host one
 * read takes from milliseconds to seconds. A reading is therefore reused for up to a second:
 * dashboards scrape every few seconds, and a slow read must not make the actuator endpoint or a
 * Prometheus scrape time out.
 */
final class AcceptQueueProbe {

	private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

	private static final String LISTEN = "0A";

	private static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(1);

	private final IntSupplier port;

	private boolean read;

	private long readAtNanos;

	private Integer length;

	AcceptQueueProbe(IntSupplier port) {
		this.port = port;
	}

	/** The accept-queue length, read at most a second ago; callers meanwhile wait for one read. */
	synchronized Integer acceptQueueLength() {
		if (!this.read || System.nanoTime() - this.readAtNanos >= MAX_AGE_NANOS) {
			this.length = readAcceptQueueLength(this.port.getAsInt());
			this.readAtNanos = System.nanoTime();
			this.read = true;
		}
		return this.length;
	}

	static Integer readAcceptQueueLength(int port) {
		if (port <= 0) {
			return null;
		}
		String portHex = String.format(Locale.ROOT, ":%04X", port);
		boolean readable = false;
		int total = 0;
		for (Path table : TABLES) {
			try (BufferedReader lines = Files.newBufferedReader(table)) {
				readable = true;
				lines.readLine(); // the header
				for (String line = lines.readLine(); line != null; line = lines.readLine()) {
					total += listenQueue(line, portHex);
				}
			}
			catch (IOException | SecurityException ex) {
				// not on Linux, or not allowed: try the other table
			}
		}
		return readable ? total : null;
	}

	/** The rx_queue of a LISTEN row for the port; 0 for any other row. */
	private static int listenQueue(String line, String portHex) {
		if (!line.contains(portHex)) {
			return 0; // most rows: skip them without splitting
		}
		// sl local_address rem_address st tx_queue:rx_queue ...
		String[] columns = line.trim().split("\\s+", 6);
		if (columns.length > 4 && columns[3].equals(LISTEN) && columns[1].endsWith(portHex)) {
			return Integer.parseInt(columns[4].substring(columns[4].indexOf(':') + 1), 16);
		}
		return 0;
	}

}
