package dev.prefork.integration;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Process mode's lifecycle with real processes: the JVM a user starts with
 * {@code prefork.mode=processes} becomes the arbiter, runs none of the application's code, and
 * serves through worker JVMs that share its one listening socket (the management server's too).
 * SIGTERM stops everything gracefully with exit code 0 and no process left, refusing new clients
 * at once; SIGINT cuts a graceful stop short; SIGHUP replaces every worker one at a time;
 * TTIN/TTOU and the endpoint scale; workers stop when the arbiter is killed; a worker that cannot
 * boot halts the arbiter with its output. {@link ProcessModeSupervisionTests} has the rest.
 */
@EnabledOnOs(OS.LINUX)
class ProcessModeLifecycleTests {

	private static final String EXPOSE_ENDPOINT = "--management.endpoints.web.exposure.include=prefork";

	private static final ObjectMapper JSON = new ObjectMapper();

	@TempDir
	Path directory;

	@Test
	void workerJvmsServeTheArbitersSocketAndSigtermStopsEverything() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=2")) {
			List<ProcessHandle> workers = arbiter.workers();
			assertThat(workers).hasSize(2);
			Set<String> answeredBy = new TreeSet<>();
			for (int i = 0; i < 40 && answeredBy.size() < 2; i++) {
				answeredBy.add(arbiter.get("/work?ms=20"));
			}
			assertThat(answeredBy).containsExactlyInAnyOrderElementsOf(
					workers.stream().map((worker) -> Long.toString(worker.pid())).toList());
			String log = arbiter.log();
			assertThat(log).contains("application code ran in pid " + workers.get(0).pid())
				.contains("application code ran in pid " + workers.get(1).pid())
				.doesNotContain("application code ran in pid " + arbiter.pid());

			arbiter.signal("TERM");
			assertThat(arbiter.process().waitFor(60, TimeUnit.SECONDS)).as("arbiter exited").isTrue();
			assertThat(arbiter.process().exitValue()).isZero();
			assertThat(arbiter.seen()).noneMatch(ProcessHandle::isAlive);
			assertThat(arbiter.log()).contains("Shutting down: Arbiter (graceful");
		}
	}

	@Test
	void sigtermWithTwoHundredRequestsInFlightCompletesThemAllAndLeavesNoProcess() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=100", "--server.shutdown=graceful", EXPOSE_ENDPOINT,
				"--spring.lifecycle.timeout-per-shutdown-phase=30s")) {
			HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
			HttpRequest work = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + arbiter.port() + "/work?ms=4000"))
				.timeout(Duration.ofSeconds(60))
				.build();
			List<CompletableFuture<HttpResponse<String>>> inFlight = IntStream.range(0, 200)
				.mapToObj((i) -> client.sendAsync(work, HttpResponse.BodyHandlers.ofString()))
				.toList();
			// Every request admitted (each worker's 100 threads busy) before the signal.
			await().atMost(Duration.ofSeconds(30)).until(() -> arbiter.inFlight() == 200);
			arbiter.signal("TERM");
			List<Integer> statuses = new ArrayList<>();
			for (CompletableFuture<HttpResponse<String>> response : inFlight) {
				statuses.add(response.get(60, TimeUnit.SECONDS).statusCode());
			}
			assertThat(statuses).hasSize(200).containsOnly(200);
			assertThat(arbiter.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
			assertThat(arbiter.process().exitValue()).isZero();
			assertThat(arbiter.seen()).noneMatch(ProcessHandle::isAlive);
		}
	}

	@Test
	void sigintDuringAGracefulStopStopsQuickly() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=1",
				"--prefork.threads=2", "--server.shutdown=graceful", EXPOSE_ENDPOINT,
				"--spring.lifecycle.timeout-per-shutdown-phase=60s")) {
			CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> arbiter.get("/work?ms=50000"));
			await().atMost(Duration.ofSeconds(30)).until(() -> arbiter.inFlight() == 1);
			arbiter.signal("TERM");
			await().atMost(Duration.ofSeconds(10)).until(() -> arbiter.log().contains("Shutting down: Arbiter (graceful"));
			assertThat(arbiter.process().waitFor(2, TimeUnit.SECONDS)).as("waits for the request in flight").isFalse();
			long interrupted = System.nanoTime();
			arbiter.signal("INT");
			assertThat(arbiter.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
			assertThat(Duration.ofNanos(System.nanoTime() - interrupted)).as("a quick stop's time, not the graceful one's")
				.isLessThan(Duration.ofSeconds(15));
			assertThat(arbiter.log()).contains("Shutting down: Arbiter (quick, asked for during the graceful stop)");
			assertThat(arbiter.seen()).noneMatch(ProcessHandle::isAlive);
			slow.cancel(true);
		}
	}

	/**
	 * Readiness probes on the shared management port through a rolling restart: every one UP,
	 * although each new worker JVM's servers start half a second before its application is ready,
	 * and each old one stops while probes reach it.
	 */
	@Test
	void aManagementPortIsSharedByTheArbiterLikeTheApplicationsPortAndStaysReadyThroughARestart() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=2", "--management.endpoints.web.exposure.include=prefork,health",
				"--management.server.port=0", "--management.server.address=127.0.0.1",
				"--management.endpoint.health.probes.enabled=true",
				"--server.shutdown=graceful", "--test.ready-delay-ms=500")) {
			int managementPort = arbiter.managementPort();
			assertThat(managementPort).isPositive().isNotEqualTo(arbiter.port());
			await().atMost(Duration.ofSeconds(10)).until(() -> {
				String body = arbiter.get(managementPort, "/actuator/prefork");
				return body != null && JSON.readTree(body).path("processes").path("workers").size() == 2;
			});
			assertThat(arbiter.get("/actuator/prefork")).as("no actuator on the application's port").isNull();
			Set<String> answeredBy = new TreeSet<>();
			for (int i = 0; i < 40 && answeredBy.size() < 2; i++) {
				answeredBy.add(JSON.readTree(arbiter.get(managementPort, "/actuator/prefork"))
					.path("workers").path(0).path("startedAt").asString());
			}
			assertThat(answeredBy).as("answered by either worker JVM's management server").hasSize(2);

			// A rolling restart is not the instance leaving: a worker JVM that leaves stops
			// accepting at once, and the others answer the probes meanwhile.
			long replacedBefore = arbiter.log().lines().filter((line) -> line.contains("Workers replaced")).count();
			List<String> probes = new ArrayList<>();
			arbiter.signal("HUP");
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
			while (arbiter.log().lines().filter((line) -> line.contains("Workers replaced")).count() == replacedBefore
					&& System.nanoTime() < deadline) {
				probes.add(arbiter.answer(managementPort, "/actuator/health/readiness"));
			}
			assertThat(probes).as("readiness probes through the restart").hasSizeGreaterThan(50);
			assertThat(probes).as("readiness probes through the restart, but for the UP answers")
				.filteredOn((answer) -> !(answer.startsWith("HTTP/1.1 200") && answer.endsWith("{\"status\":\"UP\"}")))
				.isEmpty();
		}
	}

	@Test
	void signalsAndTheEndpointScaleAndRestartTheWorkerJvms() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=1",
				"--prefork.threads=2", EXPOSE_ENDPOINT, "--management.endpoint.prefork.access=unrestricted")) {
			arbiter.signal("TTIN");
			await().atMost(Duration.ofSeconds(60)).until(() -> arbiter.readyWorkers() == 2);
			assertThat(arbiter.post("/actuator/prefork", "{\"workers\": 4}")).contains("\"workers\":4");
			await().atMost(Duration.ofSeconds(90)).until(() -> arbiter.readyWorkers() == 4);
			String log = arbiter.log();
			Matcher thirdReady = Pattern.compile("Worker 3 \\(pid \\d+\\) is ready").matcher(log);
			assertThat(thirdReady.find()).isTrue();
			assertThat(log.indexOf("Booting worker 4 ")).as("the fourth boots once the third is ready, not beside it")
				.isGreaterThan(thirdReady.start());
			arbiter.signal("TTOU");
			await().atMost(Duration.ofSeconds(60)).until(() -> arbiter.workers().size() == 3);
			assertThat(arbiter.post("/actuator/prefork", "{\"change\": -1}")).isNotNull();
			await().atMost(Duration.ofSeconds(60)).until(() -> arbiter.workers().size() == 2);
			assertThat(arbiter.post("/actuator/prefork", "{\"workers\": 1}")).isNotNull();
			await().atMost(Duration.ofSeconds(60)).until(() -> arbiter.workers().size() == 1);
			List<ProcessHandle> before = arbiter.workers();
			assertThat(arbiter.post("/actuator/prefork/all", "{}")).contains("recycling");
			await().atMost(Duration.ofSeconds(60))
				.until(() -> arbiter.workers().size() == 1 && !arbiter.workers().containsAll(before));
			assertThat(arbiter.post("/actuator/prefork", "{\"workers\": 0}")).as("out of range").isNull();
			assertThat(arbiter.log()).contains("Scaling from 1 to 2 worker processes")
				.contains("Scaling from 2 to 4 worker processes")
				.contains("Scaling from 4 to 3 worker processes")
				.contains("Scaling from 3 to 2 worker processes")
				.contains("Scaling from 2 to 1 worker process");
		}
	}

	@Test
	void aNewClientDuringAGracefulStopIsRefusedAtOnceWhileRequestsInFlightFinish() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=1",
				"--prefork.threads=2", "--server.shutdown=graceful", EXPOSE_ENDPOINT)) {
			CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> arbiter.get("/work?ms=5000"));
			await().atMost(Duration.ofSeconds(30)).until(() -> arbiter.inFlight() == 1);
			arbiter.signal("TERM");
			await().atMost(Duration.ofSeconds(10)).until(() -> arbiter.log().contains("Shutting down: Arbiter (graceful"));
			long began = System.nanoTime();
			// Queued in a backlog nobody accepts from, a client would wait and then be reset.
			await().atMost(Duration.ofSeconds(10)).until(() -> refused(arbiter.port()));
			assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(5));
			assertThat(inFlight.get(30, TimeUnit.SECONDS)).as("the request in flight").isNotNull();
			assertThat(arbiter.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
			assertThat(arbiter.process().exitValue()).isZero();
		}
	}

	private static boolean refused(int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
			return false;
		}
		catch (ConnectException ex) {
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	@Test
	void sighupRestartsEveryWorkerOneAtATimeWithoutFailingARequest() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=4")) {
			List<ProcessHandle> before = arbiter.workers();
			ArbiterProcess.Load load = arbiter.load("/work?ms=5");
			ArbiterProcess.Load keptAlive = arbiter.loadKeepingAlive("/work?ms=5");
			load.awaitServed(50);
			arbiter.signal("HUP");
			await().atMost(Duration.ofSeconds(120)).until(() -> arbiter.log().contains("Workers replaced"));
			await().atMost(Duration.ofSeconds(60)).until(() -> before.stream().noneMatch(ProcessHandle::isAlive));
			load.awaitServed(20);
			keptAlive.awaitServed(20);
			load.stop();
			keptAlive.stop();
			assertThat(arbiter.workers()).hasSize(2).doesNotContainAnyElementsOf(before);
			assertThat(load.failed.get()).as("requests failed during the rolling restart").isZero();
			assertThat(keptAlive.failed.get()).as("requests on kept-alive connections failed").isZero();
		}
	}

	@Test
	void workersStopWhenTheArbiterIsKilled() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=2")) {
			List<ProcessHandle> workers = arbiter.workers();
			Path left = arbiterDirectory(this.directory, arbiter.pid());
			arbiter.signal("KILL");
			// Their output went through the arbiter, so only their end is seen.
			await().atMost(Duration.ofSeconds(60)).until(() -> workers.stream().noneMatch(ProcessHandle::isAlive));
			assertThat(left).as("SIGKILL leaves the arbiter no time to clean up").isDirectory();
			try (ArbiterProcess next = ArbiterProcess.start(this.directory, "--prefork.workers=1")) {
				assertThat(left).as("removed by the next arbiter").doesNotExist();
				assertThat(arbiter.log()).doesNotContain("Removing");
				assertThat(next.log()).contains("Removing " + left + ", left by an arbiter that is gone");
			}
		}
	}

	/** The arbiter's private directory under {@code temporary}, found by the pid file it writes there. */
	private static Path arbiterDirectory(Path temporary, long pid) throws IOException {
		try (var candidates = Files.list(temporary)) {
			return candidates.filter((candidate) -> candidate.getFileName().toString().startsWith("prefork-"))
				.filter((candidate) -> {
					try {
						return Files.readString(candidate.resolve("arbiter.pid")).trim().equals(Long.toString(pid));
					}
					catch (IOException ex) {
						return false;
					}
				})
				.findFirst()
				.orElseThrow();
		}
	}

	@Test
	void aWorkerThatCannotBootHaltsTheArbiterWithItsOutput() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.launch(this.directory, "--prefork.workers=2",
				"--test.fail-boot=true")) {
			assertThat(arbiter.process().waitFor(120, TimeUnit.SECONDS)).as("arbiter exited").isTrue();
			assertThat(arbiter.process().exitValue()).isEqualTo(1);
			String log = arbiter.log();
			assertThat(log).contains("Shutting down: Arbiter halted because Worker")
				.contains("failed to boot (exit code 1)")
				.contains("test.fail-boot is set: this application will not start")
				.doesNotContain("Prefork arbiter listening");
			await().atMost(Duration.ofSeconds(10)).until(() -> arbiter.workers().isEmpty());
		}
	}

}
