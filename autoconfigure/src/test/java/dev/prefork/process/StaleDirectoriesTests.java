package dev.prefork.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** Directories left by an arbiter killed with SIGKILL go when the next one starts; no others. */
@EnabledOnOs(OS.LINUX)
class StaleDirectoriesTests {

	@TempDir
	Path tmp;

	@Test
	void removesTheDirectoryOfAnArbiterThatIsGoneAndKeepsTheOthers() throws Exception {
		Process gone = new ProcessBuilder("true").start();
		assertThat(gone.waitFor(10, TimeUnit.SECONDS)).isTrue();
		Path stale = arbiterDirectory("prefork-stale", Long.toString(gone.pid()));
		Files.writeString(stale.resolve("scoreboard"), "left");
		Path alive = arbiterDirectory("prefork-alive", Long.toString(ProcessHandle.current().pid()));
		Path noPidFile = arbiterDirectory("prefork-nopid", null);
		Path garbled = arbiterDirectory("prefork-garbled", "not a pid");
		Path otherName = arbiterDirectory("someone-else", Long.toString(gone.pid()));
		Path open = arbiterDirectory("prefork-open", Long.toString(gone.pid()));
		Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));

		StaleDirectories.removeUnder(this.tmp);

		assertThat(stale).doesNotExist();
		assertThat(alive).isDirectory();
		assertThat(noPidFile).isDirectory();
		assertThat(garbled).isDirectory();
		assertThat(otherName).isDirectory();
		assertThat(open).as("not made by an arbiter").isDirectory();
	}

	private Path arbiterDirectory(String name, String pid) throws Exception {
		Path directory = Files.createDirectory(this.tmp.resolve(name),
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
		if (pid != null) {
			Files.writeString(directory.resolve(StaleDirectories.PID_FILE), pid);
		}
		return directory;
	}

}
