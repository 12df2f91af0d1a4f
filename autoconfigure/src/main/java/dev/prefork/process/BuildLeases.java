package dev.prefork.process;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The builds of a {@link ClassDataCache} that this arbiter's worker JVMs run, each held with a
 * shared lock on its {@code in-use} file for as long as one of them may need it (the kernel drops
 * the locks when the arbiter ends). An arbiter sharing the directory removes only a build whose
 * lock it can take exclusively: nobody's workers run it.
 */
final class BuildLeases {

	private static final String IN_USE = "in-use";

	private final Map<Path, FileChannel> held = new ConcurrentHashMap<>();

	void hold(Path build) throws IOException {
		if (this.held.containsKey(build)) {
			return;
		}
		FileChannel channel = FileChannel.open(build.resolve(IN_USE), StandardOpenOption.CREATE,
				StandardOpenOption.READ, StandardOpenOption.WRITE);
		try {
			channel.lock(0, Long.MAX_VALUE, true);
			this.held.put(build, channel);
		}
		catch (IOException | RuntimeException ex) {
			channel.close();
			throw ex;
		}
	}

	/**
	 * Holds {@code builds} and lets go of every other. A build made since the last call is held
	 * again here once it is in use (its maker held it, and a pass in between let go of it; as the
	 * newest it was never at risk of being pruned meanwhile); one that is gone is skipped.
	 */
	void holdOnly(Set<Path> builds) {
		this.held.keySet().removeIf((build) -> {
			if (builds.contains(build)) {
				return false;
			}
			close(this.held.get(build));
			return true;
		});
		for (Path build : builds) {
			try {
				hold(build);
			}
			catch (IOException | RuntimeException ex) {
				// Gone: its workers are being replaced by ones on the jar as it is.
			}
		}
	}

	/** Whether no arbiter's workers run {@code build}, so that it may go. */
	boolean unused(Path build) {
		if (this.held.containsKey(build)) {
			return false;
		}
		try (FileChannel channel = FileChannel.open(build.resolve(IN_USE), StandardOpenOption.CREATE,
				StandardOpenOption.WRITE); FileLock lock = channel.tryLock()) {
			return lock != null;
		}
		catch (OverlappingFileLockException | IOException ex) {
			return false;
		}
	}

	private static void close(FileChannel channel) {
		try {
			channel.close();
		}
		catch (IOException ex) {
			// The lock goes with the channel, or with the process.
		}
	}

}
