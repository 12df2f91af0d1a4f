package dev.prefork.autoconfigure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process started with SIGHUP ignored (as {@code nohup} starts it) cannot get a handler for it
 * from the JVM, which then installs nothing without a word: Prefork says so. Each case runs in a
 * JVM of its own, started through python3 so that its SIGHUP disposition is set on purpose, not
 * inherited from however this build was started.
 */
class PreforkSignalHandlersTests {

	private static final String IGNORED = "SIGHUP is ignored by this process";

	@Test
	void aSignalTheProcessWasStartedIgnoringIsReported() throws Exception {
		assertThat(installHandlersInAJvmStartedWith("SIG_IGN")).contains(IGNORED + " (it was started ignoring it");
	}

	@Test
	void aSignalTheProcessMayReceiveIsHandledWithoutAWarning() throws Exception {
		assertThat(installHandlersInAJvmStartedWith("SIG_DFL")).contains("handlers installed").doesNotContain(IGNORED);
	}

	private static String installHandlersInAJvmStartedWith(String disposition) throws IOException, InterruptedException {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		String script = "import os, signal, sys; signal.signal(signal.SIGHUP, signal." + disposition + "); "
				+ "os.execv(sys.argv[1], sys.argv[1:])";
		Process process = new ProcessBuilder(List.of("python3", "-c", script, java, "-cp",
				System.getProperty("java.class.path"), InstallHandlers.class.getName()))
			.redirectErrorStream(true)
			.start();
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.exitValue()).as(output).isZero();
		return output;
	}

	/** What the child JVM runs: installs Prefork's handlers, with no server behind them. */
	static final class InstallHandlers {

		public static void main(String[] args) {
			new PreforkSignalHandlers(() -> null).afterPropertiesSet();
			System.out.println("handlers installed");
		}

	}

}
