package dev.prefork.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jspecify.annotations.Nullable;

/**
 * How many connections wait in a listening socket's kernel accept queue: the queue every worker
 * JVM takes from, so the one figure that tells an operator the whole server is behind (gunicorn
 * users read it with {@code ss -lt}). Linux shows it as the {@code rx_queue} of a listening
 * socket in {@code /proc/net/tcp} and {@code tcp6}, found by the socket's inode.
 */
final class AcceptQueue {

	private static final Path[] TABLES = { Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6") };

	private static final String LISTEN = "0A";

	private final String inode;

	private AcceptQueue(String inode) {
		this.inode = inode;
	}

	/** The accept queue of this process's descriptor {@code fd}; {@code null} off Linux. */
	static @Nullable AcceptQueue of(int fd) {
		try {
			String target = Files.readSymbolicLink(Path.of("/proc/self/fd", Integer.toString(fd))).toString();
			if (target.startsWith("socket:[") && target.endsWith("]")) {
				return new AcceptQueue(target.substring("socket:[".length(), target.length() - 1));
			}
		}
		catch (IOException | UnsupportedOperationException ex) {
			// Not Linux: no accept queue to show.
		}
		return null;
	}

	/** Connections waiting now, or -1 when the socket is not found. */
	int depth() {
		for (Path table : TABLES) {
			try (BufferedReader lines = Files.newBufferedReader(table, StandardCharsets.US_ASCII)) {
				lines.readLine();
				for (String line = lines.readLine(); line != null; line = lines.readLine()) {
					if (!line.contains(this.inode)) {
						// Cheap: a busy server's table has a line per connection, read every second.
						continue;
					}
					// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
					String[] fields = line.trim().split("\\s+");
					if (fields.length > 9 && fields[3].equals(LISTEN) && fields[9].equals(this.inode)) {
						String queues = fields[4];
						return Integer.parseInt(queues.substring(queues.indexOf(':') + 1), 16);
					}
				}
			}
			catch (IOException | RuntimeException ex) {
				// This table is missing (no IPv6) or unreadable: try the next.
			}
		}
		return -1;
	}

}
