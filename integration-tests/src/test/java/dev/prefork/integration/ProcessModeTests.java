package dev.prefork.integration;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Process mode with real processes: the JVM a user starts with {@code prefork.mode=processes}
 * becomes the arbiter, runs none of the application's code, and serves through worker JVMs that
 * share its one listening socket. A worker killed with SIGKILL under load is replaced while the
 * others go on serving; a worker whose only thread hangs is timed out with its threads dumped,
 * then stopped and replaced; SIGHUP replaces every worker one at a time; SIGTERM stops
 * everything gracefully with exit code 0 and no process left; workers stop when the arbiter is
 * killed; a worker that cannot boot halts the arbiter with its output.
 */
@EnabledOnOs(OS.LINUX)
class ProcessModeTests {

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

	@Test
	void anyWorkerShowsEveryWorkerJvmAndTotalsThatSurviveItsRecycling() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=2", "--management.endpoints.web.exposure.include=prefork,metrics,health",
				"--management.endpoint.health.show-details=always")) {
			List<ProcessHandle> workers = arbiter.workers();
			for (int i = 0; i < 30; i++) {
				arbiter.get("/pid");
			}
			await().atMost(Duration.ofSeconds(10)).until(() -> totalRequests(arbiter) >= 30);
			JsonNode processes = arbiter.endpoint().path("processes");
			assertThat(processes.path("arbiterPid").asLong()).isEqualTo(arbiter.pid());
			assertThat(processes.path("workers").valueStream().map((worker) -> worker.path("pid").asLong()))
				.containsExactlyInAnyOrderElementsOf(workers.stream().map(ProcessHandle::pid).toList());
			assertThat(processes.path("workers").valueStream().map((worker) -> worker.path("state").asString()))
				.containsOnly("ready");
			assertThat(processes.path("workers").valueStream().mapToLong((worker) -> worker.path("privateMemory").asLong()))
				.allMatch((bytes) -> bytes > 10_000_000);
			assertThat(processes.path("workers").valueStream().mapToLong((worker) -> worker.path("cpuMillis").asLong()))
				.as("booting a JVM takes CPU").allMatch((millis) -> millis > 100);
			assertThat(processes.path("workers").valueStream().map((worker) -> worker.path("threads").asInt()))
				.containsOnly(2);
			JsonNode health = JSON.readTree(arbiter.get("/actuator/health")).path("components").path("prefork");
			assertThat(health.path("status").asString()).isEqualTo("UP");
			assertThat(health.path("details").path("processes").path("ready").asInt()).as("the whole server's").isEqualTo(2);
			assertThat(health.path("details").path("processes").path("target").asInt()).isEqualTo(2);
			JsonNode acceptQueue = health.path("details").path("processes").path("acceptQueue");
			assertThat(acceptQueue.isNumber() && acceptQueue.asInt() >= 0).as("the shared socket's, read from the kernel: %s",
					acceptQueue).isTrue();
			long before = totalRequests(arbiter);

			workers.get(0).destroyForcibly();
			await().atMost(Duration.ofSeconds(60))
				.until(() -> arbiter.workers().size() == 2 && !arbiter.workers().contains(workers.get(0)));
			await().atMost(Duration.ofSeconds(30)).until(() -> {
				JsonNode view = arbiter.endpoint();
				return view != null && view.path("processes").path("exits").path("crashed").asLong() == 1
						&& view.path("processes").path("workers").size() == 2;
			});
			assertThat(totalRequests(arbiter)).as("total after the crash").isGreaterThanOrEqualTo(before);
			String metric = arbiter.get("/actuator/metrics/prefork.process.requests");
			assertThat(metric).as("the whole server's requests, as a meter").isNotNull();
			assertThat(JSON.readTree(metric).path("measurements").path(0).path("value").asDouble())
				.isGreaterThanOrEqualTo(before);
			assertThat(arbiter.get("/actuator/metrics/prefork.process.exits?tag=reason:crashed"))
				.contains("\"value\":1.0");
			String newest = Integer.toString(arbiter.endpoint().path("processes").path("workers").path(1).path("id").asInt());
			assertThat(arbiter.get("/actuator/metrics/prefork.process.worker.memory?tag=worker:" + newest)).isNotNull();
		}
	}

	private static long totalRequests(ArbiterProcess arbiter) {
		JsonNode endpoint = arbiter.endpoint();
		return (endpoint != null) ? endpoint.path("processes").path("totalRequests").asLong() : -1;
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
			await().atMost(Duration.ofSeconds(60)).until(() -> readyWorkers(arbiter) == 2);
			assertThat(arbiter.post("/actuator/prefork", "{\"workers\": 4}")).contains("\"workers\":4");
			await().atMost(Duration.ofSeconds(90)).until(() -> readyWorkers(arbiter) == 4);
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

	private static long readyWorkers(ArbiterProcess arbiter) {
		JsonNode endpoint = arbiter.endpoint();
		return (endpoint != null) ? endpoint.path("processes").path("workers").valueStream()
			.filter((worker) -> worker.path("state").asString().equals("ready"))
			.count() : -1;
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
	void aBurstOfConnectionsIsSpreadEvenlyOverTheWorkerJvms() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=4")) {
			for (int round = 0; round < 3; round++) {
				// 40 connections opened at once, as a load generator or a proxy's pool does; each
				// asks which JVM holds it, on the connection, kept alive.
				List<Socket> sockets = new ArrayList<>();
				try {
					for (int i = 0; i < 40; i++) {
						Socket socket = new Socket();
						socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), arbiter.port()), 5000);
						sockets.add(socket);
					}
					Map<String, Integer> byPid = new TreeMap<>();
					for (Socket socket : sockets) {
						socket.setSoTimeout(10_000);
						socket.getOutputStream()
							.write("GET /pid HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
						byPid.merge(readBody(socket), 1, Integer::sum);
					}
					assertThat(byPid).as("connections by worker JVM, round %d", round).hasSize(2);
					assertThat(byPid.values()).as("round %d: within 20%% of 20 each", round).allMatch((n) -> n >= 16 && n <= 24);
				}
				finally {
					for (Socket socket : sockets) {
						socket.close();
					}
				}
			}
		}
	}

	/** The body of the one response read from {@code socket} (Content-Length framed). */
	private static String readBody(Socket socket) throws IOException {
		InputStream in = socket.getInputStream();
		StringBuilder head = new StringBuilder();
		while (!head.toString().endsWith("\r\n\r\n")) {
			head.append((char) in.read());
		}
		Matcher length = Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
		int bytes = length.find() ? Integer.parseInt(length.group(1)) : 0;
		return new String(in.readNBytes(bytes), StandardCharsets.US_ASCII);
	}

	@Test
	void aKilledWorkerIsReplacedWhileTheOthersServe() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=4")) {
			ProcessHandle victim = arbiter.workers().get(0);
			ArbiterProcess.Load load = arbiter.load("/work?ms=5");
			load.awaitServed(50);
			victim.destroyForcibly();
			await().atMost(Duration.ofSeconds(60))
				.until(() -> arbiter.workers().size() == 2 && !arbiter.workers().contains(victim));
			load.awaitServed(50);
			load.stop();
			assertThat(load.failed.get()).as("requests failed (only one can be in flight on the killed worker)")
				.isLessThanOrEqualTo(1);
			// Within 30 s of its start, so counted towards a crash loop: replaced after a 1 s back-off.
			assertThat(arbiter.log()).contains("crashed soon after it booted (exit code 137, signal 9); retrying in 1000 ms");
		}
	}

	@Test
	void aWorkerWhoseOnlyThreadHangsIsTimedOutWithAThreadDumpAndReplaced() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=1",
				"--prefork.threads=1", "--prefork.queue-capacity=0", "--prefork.timeout=3s")) {
			ProcessHandle hung = arbiter.workers().get(0);
			CompletableFuture<String> hanging = CompletableFuture.supplyAsync(() -> arbiter.get("/hang"));
			await().atMost(Duration.ofSeconds(60)).until(() -> !hung.isAlive());
			await().atMost(Duration.ofSeconds(60)).until(() -> arbiter.workers().size() == 1);
			assertThat(hanging.get(30, TimeUnit.SECONDS)).as("the hung request got no answer").isNull();
			await().atMost(Duration.ofSeconds(60)).until(() -> arbiter.get("/pid") != null);
			String log = arbiter.log();
			assertThat(log).contains("Worker 1 (pid " + hung.pid() + ") timed out (every thread busy and no request "
					+ "finished for 3s): dumping its threads, then SIGTERM, then SIGKILL")
				.contains("Full thread dump")
				.contains("ProcessModeApplication.sleep");
		}
	}

	@Test
	void aWorkerJvmWhoseThreadsAreAllStuckTakesNoNewConnectionWhileAnotherServes() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=1", "--prefork.queue-capacity=8", "--prefork.timeout=120s",
				"--spring.lifecycle.timeout-per-shutdown-phase=2s")) {
			CompletableFuture<String> hanging = CompletableFuture.supplyAsync(() -> arbiter.get("/hang"));
			Pattern hangingIn = Pattern.compile("hanging in pid (\\d+)");
			await().atMost(Duration.ofSeconds(30)).until(() -> hangingIn.matcher(arbiter.log()).find());
			Matcher stuck = hangingIn.matcher(arbiter.log());
			assertThat(stuck.find()).isTrue();
			String healthy = arbiter.workers()
				.stream()
				.map((worker) -> Long.toString(worker.pid()))
				.filter((pid) -> !pid.equals(stuck.group(1)))
				.findFirst()
				.orElseThrow();
			// Judged stalled after a second with its only thread busy and no request started.
			Thread.sleep(1500);
			List<String> answeredBy = new ArrayList<>();
			for (int i = 0; i < 20; i++) {
				answeredBy.add(arbiter.get("/pid"));
			}
			// Four clients at once keep the healthy JVM's only thread busy: the stuck one must not
			// take the connections its neighbour cannot start at once.
			List<CompletableFuture<List<String>>> clients = IntStream.range(0, 4)
				.mapToObj((client) -> CompletableFuture.supplyAsync(() -> IntStream.range(0, 10)
					.mapToObj((i) -> arbiter.get("/work?ms=20"))
					.toList()))
				.toList();
			for (CompletableFuture<List<String>> client : clients) {
				answeredBy.addAll(client.get(60, TimeUnit.SECONDS));
			}
			assertThat(answeredBy).as("60 new connections, each answered by the JVM that is not stuck")
				.hasSize(60)
				.containsOnly(healthy);
			assertThat(arbiter.workers()).as("the stuck JVM is still there, not timed out yet").hasSize(2);
			hanging.cancel(true);
		}
	}

	@Test
	void readinessIsTheWholeServersWhicheverWorkerJvmAnswersTheProbe() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=1", "--prefork.queue-capacity=4", "--prefork.timeout=120s",
				// A JVM whose thread hangs is at 1/5: at the threshold alone, at half of it on average.
				"--prefork.health.saturation-readiness=true", "--prefork.health.saturation-threshold=0.2",
				"--prefork.health.saturation-window=1s",
				"--management.endpoint.health.probes.add-additional-paths=true",
				"--spring.lifecycle.timeout-per-shutdown-phase=2s")) {
			// Kept-alive connections, so that each probe goes to a JVM of the test's choosing.
			Map<String, List<Socket>> byPid = new TreeMap<>();
			List<Socket> sockets = new ArrayList<>();
			try {
				for (int i = 0; i < 8; i++) {
					Socket socket = new Socket(InetAddress.getLoopbackAddress(), arbiter.port());
					socket.setSoTimeout(10_000);
					sockets.add(socket);
				}
				for (Socket socket : sockets) {
					byPid.computeIfAbsent(exchange(socket, "/pid"), (pid) -> new ArrayList<>()).add(socket);
				}
				assertThat(byPid).hasSize(2).allSatisfy((pid, held) -> assertThat(held).hasSizeGreaterThanOrEqualTo(2));
				List<String> pids = List.copyOf(byPid.keySet());
				// The first JVM's only thread hangs: it is over the threshold, the other is idle.
				send(byPid.get(pids.get(0)).get(0), "/hang");
				// Past the 1 s window and the view's second: what is asserted is a state that lasts,
				// which no await can tell from one that has not changed yet.
				Thread.sleep(3000);
				for (int round = 0; round < 3; round++) {
					for (String pid : pids) {
						assertThat(exchange(byPid.get(pid).get(1), "/readyz")).as("readiness from %s, half the server full", pid)
							.startsWith("{\"status\":\"UP\"");
					}
				}
				// The second one hangs too: the whole server is over it, and every JVM says so.
				send(byPid.get(pids.get(1)).get(0), "/hang");
				for (String pid : pids) {
					await().atMost(Duration.ofSeconds(10))
						.until(() -> exchange(byPid.get(pid).get(1), "/readyz"), (body) -> body.contains("OUT_OF_SERVICE"));
				}
			}
			finally {
				for (Socket socket : sockets) {
					socket.close();
				}
			}
		}
	}

	@Test
	void aWorkerJvmTheApplicationMarksRefusingTrafficTakesNoConnectionUntilItAcceptsAgain() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=2")) {
			// A kept-alive connection to each JVM, so that the test can reach the one refusing.
			Map<String, Socket> byPid = new TreeMap<>();
			List<Socket> sockets = new ArrayList<>();
			try {
				for (int i = 0; i < 16 && byPid.size() < 2; i++) {
					Socket socket = new Socket(InetAddress.getLoopbackAddress(), arbiter.port());
					socket.setSoTimeout(10_000);
					sockets.add(socket);
					byPid.putIfAbsent(exchange(socket, "/pid"), socket);
				}
				assertThat(byPid).hasSize(2);
				String refusing = byPid.keySet().iterator().next();
				assertThat(exchange(byPid.get(refusing), "/readiness?state=refusing")).isEqualTo(refusing);
				List<String> meanwhile = IntStream.range(0, 40).mapToObj((i) -> arbiter.get("/pid")).toList();
				assertThat(meanwhile).as("new connections while one JVM refuses traffic").doesNotContainNull()
					.doesNotContain(refusing);
				assertThat(exchange(byPid.get(refusing), "/readiness?state=accepting")).isEqualTo(refusing);
				await().atMost(Duration.ofSeconds(10)).until(() -> refusing.equals(arbiter.get("/pid")));
			}
			finally {
				for (Socket socket : sockets) {
					socket.close();
				}
			}
		}
	}

	/** Sends {@code GET path} on a kept-alive connection without waiting for the answer. */
	private static void send(Socket socket, String path) throws IOException {
		socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
	}

	/** {@code GET path} on a kept-alive connection: the body of the answer, whatever its status. */
	private static String exchange(Socket socket, String path) throws IOException {
		send(socket, path);
		return readBody(socket);
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
	void maxRequestsRecyclesTheWorkerJvmReplacementFirstWithoutFailingARequest() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=1",
				"--prefork.threads=2", "--prefork.max-requests=40")) {
			ProcessHandle first = arbiter.workers().get(0);
			ArbiterProcess.Load keptAlive = arbiter.loadKeepingAlive("/work?ms=2");
			await().atMost(Duration.ofSeconds(90)).until(() -> !first.isAlive());
			// Fewer than max-requests, so that the replacement is not recycled in its turn meanwhile.
			keptAlive.awaitServed(20);
			keptAlive.stop();
			assertThat(keptAlive.failed.get()).as("requests failed while the worker was recycled").isZero();
			assertThat(arbiter.workers()).hasSize(1).doesNotContain(first);
			assertThat(arbiter.log()).containsPattern("Recycling Worker 1 \\(pid " + first.pid() + "\\): served \\d+ requests")
				.contains("Worker 1 (pid " + first.pid() + ") exited (recycled: served");
		}
	}

	@Test
	void aWorkerJvmOverTheMemoryLimitIsRecycled() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.startWithHeap(this.directory, "-Xmx768m", "--prefork.workers=1",
				"--prefork.threads=2", "--prefork.process.max-memory=400MB", EXPOSE_ENDPOINT)) {
			ProcessHandle leaking = arbiter.workers().get(0);
			// The arbiter judges a worker fresh from boot at its first check: grow after that one.
			await().atMost(Duration.ofSeconds(30)).until(() -> readyWorkers(arbiter) == 1);
			assertThat(arbiter.get("/grow?mb=450")).isEqualTo(Long.toString(leaking.pid()));
			await().atMost(Duration.ofSeconds(90)).until(() -> !leaking.isAlive());
			await().atMost(Duration.ofSeconds(60)).until(() -> arbiter.get("/pid") != null);
			assertThat(arbiter.log()).containsPattern("Recycling Worker 1 \\(pid " + leaking.pid()
					+ "\\): private memory \\d+ MB over the limit of 400 MB");
		}
	}

	@Test
	void workersStopWhenTheArbiterIsKilled() throws Exception {
		try (ArbiterProcess arbiter = ArbiterProcess.start(this.directory, "--prefork.workers=2",
				"--prefork.threads=2")) {
			List<ProcessHandle> workers = arbiter.workers();
			Path left = arbiterDirectory(arbiter.pid());
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

	/** The arbiter's private directory, found by the pid file it writes there. */
	private static Path arbiterDirectory(long pid) throws IOException {
		try (var candidates = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
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
