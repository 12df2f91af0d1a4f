package dev.prefork.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The arbiter's private directories (control socket, scoreboard) left behind by arbiters that
 * could not clean up: SIGKILL, or the machine's OOM killer. Each directory names its arbiter in
 * a pid file; one whose arbiter is gone is removed when the next arbiter starts. A directory of
 * another user, without a pid file, or whose pid is alive (its arbiter, or a process that took
 * the pid since) is left alone.
 */
final class StaleDirectories {

	static final String PREFIX = "prefork-";

	static final String PID_FILE = "arbiter.pid";

	private static final Log logger = LogFactory.getLog(StaleDirectories.class);

	private StaleDirectories() {
	}

	/** Writes the pid file that marks {@code directory} as this arbiter's. */
	static void claim(Path directory) throws IOException {
		Files.writeString(directory.resolve(PID_FILE), Long.toString(ProcessHandle.current().pid()));
	}

	/** Removes, under {@code parent}, the directories of arbiters that are gone. */
	static void removeUnder(Path parent) {
		try (DirectoryStream<Path> candidates = Files.newDirectoryStream(parent, PREFIX + "*")) {
			for (Path candidate : candidates) {
				if (isStale(candidate)) {
					logger.info("Removing " + candidate + ", left by an arbiter that is gone");
					ProcessArbiter.deleteQuietly(candidate);
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// Not ours to list, or gone meanwhile: nothing to clean.
		}
	}

	private static boolean isStale(Path candidate) throws IOException {
		if (!Files.isDirectory(candidate, LinkOption.NOFOLLOW_LINKS)
				|| !Files.getOwner(candidate, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"))
				|| !PosixFilePermissions.toString(Files.getPosixFilePermissions(candidate, LinkOption.NOFOLLOW_LINKS))
					.equals("rwx------")) {
			return false;
		}
		Path pidFile = candidate.resolve(PID_FILE);
		if (!Files.isRegularFile(pidFile, LinkOption.NOFOLLOW_LINKS)) {
			return false;
		}
		long pid;
		try {
			pid = Long.parseLong(Files.readString(pidFile).trim());
		}
		catch (NumberFormatException ex) {
			return false;
		}
		return ProcessHandle.of(pid).map((process) -> !process.isAlive()).orElse(true);
	}

}
