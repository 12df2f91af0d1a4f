package dev.prefork.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Reads how many connections wait in the kernel's accept queue of a listening socket, from
 * {@code /proc/net/tcp} and {@code /proc/net/tcp6} on Linux, where a LISTEN socket's
 * {@code rx_queue} column is its current accept-queue length. Elsewhere the answer is
 * {@code null}: unknown, not zero.
 */
final class AcceptQueueProbe {

	private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

	private static final String LISTEN = "0A";

	private AcceptQueueProbe() {
	}

	static Integer acceptQueueLength(int port) {
		if (port <= 0) {
			return null;
		}
		String portHex = String.format(Locale.ROOT, ":%04X", port);
		boolean readable = false;
		int total = 0;
		for (Path table : TABLES) {
			List<String> lines;
			try {
				lines = Files.readAllLines(table);
			}
			catch (IOException | SecurityException ex) {
				continue;
			}
			readable = true;
			for (int i = 1; i < lines.size(); i++) {
				String[] columns = lines.get(i).trim().split("\\s+");
				// sl local_address rem_address st tx_queue:rx_queue ...
				if (columns.length > 4 && columns[1].endsWith(portHex) && columns[3].equals(LISTEN)) {
					total += Integer.parseInt(columns[4].substring(columns[4].indexOf(':') + 1), 16);
				}
			}
		}
		return readable ? total : null;
	}

}
