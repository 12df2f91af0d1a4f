package dev.prefork.process;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Directories left by an arbiter killed with SIGKILL go when the next one starts; no others: not
 * one whose arbiter still holds its lock (here, or in another PID namespace, where its pid means
 * nothing), nor another user's, nor one without the lock file.
 */
@EnabledOnOs(OS.LINUX)
class StaleDirectoriesTests {

	@TempDir
	Path tmp;

	@Test
	void removesTheDirectoryWhoseLockNobodyHoldsAndKeepsTheOthers() throws Exception {
		Path stale = arbiterDirectory("prefork-stale");
		Files.writeString(stale.resolve("scoreboard"), "left");
		Path alive = arbiterDirectory("prefork-alive");
		Path noLockFile = Files.createDirectory(this.tmp.resolve("prefork-nolock"),
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
		Path otherName = arbiterDirectory("someone-else");
		Path open = arbiterDirectory("prefork-open");
		Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
		Path elsewhere = arbiterDirectory("prefork-elsewhere");
		// An arbiter of another process (or PID namespace) holding its lock: a POSIX record lock,
		// as the JVM's, which flock(1) would not take.
		Process holder = new ProcessBuilder("python3", "-c",
				"import fcntl, sys, time; f = open(sys.argv[1], 'w'); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(30)",
				elsewhere.resolve(StaleDirectories.LOCK_FILE).toString()).start();
		try (FileChannel ours = StaleDirectories.claim(alive)) {
			await().until(() -> lockedElsewhere(elsewhere));

			StaleDirectories.removeUnder(this.tmp);

			assertThat(stale).doesNotExist();
			assertThat(alive).as("this JVM's arbiter").isDirectory();
			assertThat(elsewhere).as("another process's arbiter").isDirectory();
			assertThat(noLockFile).isDirectory();
			assertThat(otherName).isDirectory();
			assertThat(open).as("not made by an arbiter").isDirectory();
		}
		finally {
			holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
		}
	}

	private static boolean lockedElsewhere(Path directory) throws Exception {
		try (FileChannel channel = FileChannel.open(directory.resolve(StaleDirectories.LOCK_FILE),
				StandardOpenOption.WRITE); FileLock lock = channel.tryLock()) {
			return lock == null;
		}
	}

	/** A directory as an arbiter that has gone left it: its lock file, nobody holding it. */
	private Path arbiterDirectory(String name) throws Exception {
		Path directory = Files.createDirectory(this.tmp.resolve(name),
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
		Files.writeString(directory.resolve(StaleDirectories.LOCK_FILE), "");
		return directory;
	}

}
