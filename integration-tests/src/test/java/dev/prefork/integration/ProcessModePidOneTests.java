package dev.prefork.integration;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The arbiter as a container's first process, PID 1 of its own PID namespace: the parent of every
 * orphan its workers leave, it must wait for them, or each stays a zombie holding its pid; and it
 * must not take from Java the exit status of a worker, which the log reports. Waiting for a
 * process Java did not start needs {@code java.lang.foreign}: this runs in the Java 25 part of
 * {@code .ci/run}.
 */
@EnabledOnOs(OS.LINUX)
class ProcessModePidOneTests {

	@TempDir
	Path directory;

	@Test
	void asPidOneTheArbiterWaitsForOrphansAndStillReportsHowItsWorkersEnded() throws Exception {
		assumeTrue(Runtime.version().feature() >= 22, "waiting for orphans needs Java 22 (java.lang.foreign)");
		boolean namespaces = ArbiterProcess.canStartAsPidOne();
		assertThat(namespaces || System.getenv("CI") == null)
			.as("CI must be able to run unshare --pid (util-linux, as root)")
			.isTrue();
		assumeTrue(namespaces, "unshare --pid needs root");
		try (ArbiterProcess arbiter = ArbiterProcess.startAsPidOne(this.directory, "--prefork.workers=2",
				"--prefork.threads=2", "--server.shutdown=graceful", "--spring.lifecycle.timeout-per-shutdown-phase=30s",
				"--management.endpoints.web.exposure.include=prefork")) {
			assertThat(arbiter.log()).contains("The arbiter is PID 1: it waits for the orphans its workers leave");
			for (int round = 0; round < 3; round++) {
				for (int i = 0; i < 5; i++) {
					assertThat(arbiter.get("/orphans?n=20")).isNotNull();
				}
				// The test means something only if the orphans are the arbiter's.
				assertThat(arbiter.children()).as("orphans given to the arbiter")
					.anyMatch((child) -> child.command().equals("sleep"));
				// A worker killed while they run: Java, not the orphans' reaper, gets its exit status.
				ProcessHandle victim = arbiter.workers().get(0);
				long victimPid = arbiter.pidInArbiter(victim);
				victim.destroyForcibly();
				// Each orphan sleeps a second; the arbiter waits for them once a second.
				await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(arbiter.children())
					.as("the arbiter's children: worker JVMs only, and no zombie")
					.allMatch((child) -> child.command().equals("java") && !child.isZombie()));
				await().atMost(Duration.ofSeconds(60))
					.until(() -> arbiter.workers().size() == 2 && !arbiter.workers().contains(victim));
				assertThat(arbiter.log().lines().filter((line) -> line.contains("(pid " + victimPid + ") ")))
					.as("the killed worker's exit, as logged")
					.anyMatch((line) -> line.contains("exit code 137, signal 9"));
			}

			// While it stops too: orphans left as the stop begins are waited for while a request in
			// flight keeps the stop going (once, they stayed zombies until the arbiter exited).
			CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> arbiter.get("/work?ms=8000"));
			await().atMost(Duration.ofSeconds(30)).until(() -> arbiter.inFlight() == 1);
			assertThat(arbiter.get("/orphans?n=20")).isNotNull();
			arbiter.signal("TERM");
			await().atMost(Duration.ofSeconds(5)).until(() -> arbiter.log().contains("Shutting down: Arbiter (graceful"));
			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(arbiter.children())
				.as("the arbiter's children while it stops: worker JVMs only, and no zombie")
				.isNotEmpty()
				.allMatch((child) -> child.command().equals("java") && !child.isZombie()));
			assertThat(slow).as("the request that keeps the stop going").isNotDone();
			assertThat(slow.get(30, TimeUnit.SECONDS)).isNotNull();
			assertThat(arbiter.process().waitFor(60, TimeUnit.SECONDS)).as("arbiter exited").isTrue();
			assertThat(arbiter.process().exitValue()).isZero();
			assertThat(arbiter.seen()).noneMatch(ProcessHandle::isAlive);
		}
	}

}
