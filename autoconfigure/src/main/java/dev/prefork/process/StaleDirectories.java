package dev.prefork.process;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The arbiter's private directories (control socket, scoreboard) left behind by arbiters that
 * could not clean up: SIGKILL, or the machine's OOM killer. Each arbiter holds a lock on a file in
 * its directory for as long as it runs (the kernel drops it when the process ends, however it
 * ends); a directory whose lock can be taken is removed when the next arbiter starts. A lock, not
 * a pid: an arbiter in another PID namespace sharing the same {@code /tmp} (containers sharing a
 * volume) has a pid that means nothing here, and a pid may be reused. The pid file only tells a
 * person whose directory it is. A directory of another user, or without the lock file, is left
 * alone.
 */
final class StaleDirectories {

	static final String PREFIX = "prefork-";

	static final String PID_FILE = "arbiter.pid";

	static final String LOCK_FILE = "arbiter.lock";

	private static final Log logger = LogFactory.getLog(StaleDirectories.class);

	private StaleDirectories() {
	}

	/**
	 * Marks {@code directory} as this arbiter's: the lock held through the returned channel (open
	 * until the arbiter ends), and the pid file.
	 */
	static FileChannel claim(Path directory) throws IOException {
		Files.writeString(directory.resolve(PID_FILE), Long.toString(ProcessHandle.current().pid()));
		FileChannel lock = FileChannel.open(directory.resolve(LOCK_FILE), StandardOpenOption.CREATE,
				StandardOpenOption.WRITE);
		try {
			lock.lock();
			return lock;
		}
		catch (IOException | RuntimeException ex) {
			lock.close();
			throw ex;
		}
	}

	/** Removes, under {@code parent}, the directories of arbiters that are gone. */
	static void removeUnder(Path parent) {
		try (DirectoryStream<Path> candidates = Files.newDirectoryStream(parent, PREFIX + "*")) {
			for (Path candidate : candidates) {
				removeIfStale(candidate);
			}
		}
		catch (IOException | RuntimeException ex) {
			// Not ours to list: nothing to clean.
		}
	}

	private static void removeIfStale(Path candidate) {
		try {
			if (isStale(candidate)) {
				logger.info("Removing " + candidate + ", left by an arbiter that is gone");
				ProcessArbiter.deleteQuietly(candidate);
			}
		}
		catch (IOException | RuntimeException ex) {
			// Another user's, or gone meanwhile: left alone.
		}
	}

	private static boolean isStale(Path candidate) throws IOException {
		if (!Files.isDirectory(candidate, LinkOption.NOFOLLOW_LINKS)
				|| !Files.getOwner(candidate, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"))
				|| !PosixFilePermissions.toString(Files.getPosixFilePermissions(candidate, LinkOption.NOFOLLOW_LINKS))
					.equals("rwx------")) {
			return false;
		}
		Path lockFile = candidate.resolve(LOCK_FILE);
		if (!Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS)) {
			return false;
		}
		try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
				FileLock lock = channel.tryLock()) {
			return lock != null;
		}
		catch (OverlappingFileLockException ex) {
			// This JVM holds it: the directory of an arbiter running here.
			return false;
		}
	}

}
