package dev.prefork.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's private memory (USS: {@code Private_Clean + Private_Dirty} of
 * {@code /proc/<pid>/smaps_rollup}): what it alone holds, so what recycling it frees. Summed RSS
 * would count the pages worker JVMs share (the JDK's CDS archive, the jar's mapped files) once
 * per worker.
 */
final class PrivateMemory {

	private PrivateMemory() {
	}

	/** Bytes, or 0 when the kernel does not tell (the process is gone, or not Linux). */
	static long of(long pid) {
		try {
			long kilobytes = 0;
			for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
				if (line.startsWith("Private_Clean:") || line.startsWith("Private_Dirty:")) {
					kilobytes += Long.parseLong(line.replaceAll("[^0-9]", ""));
				}
			}
			return kilobytes * 1024;
		}
		catch (IOException | NumberFormatException ex) {
			return 0;
		}
	}

}
