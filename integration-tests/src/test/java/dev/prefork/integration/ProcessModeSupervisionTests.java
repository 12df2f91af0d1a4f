package dev.prefork.integration;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * Process mode's supervision with real processes: a worker JVM killed with SIGKILL under load is
 * replaced while the others go on serving; one whose only thread hangs is timed out with its
 * threads dumped, then stopped and replaced; one whose threads are all stuck, or that the
 * application marks refusing traffic, takes no new connection; max-requests and the memory limit
 * recycle a worker replacement first; connections are spread evenly; any worker shows the whole
 * server, readiness included, with totals that survive recycling. The lifecycle (start, signals,
 * stop) is in {@link ProcessModeLifecycleTests}.
 */
@EnabledOnOs(OS.LINUX)
class ProcessModeSupervisionTests {

	private static final String EXPOSE_ENDPOINT = "--management.endpoints.web.exposure.include=prefork";

	private static final ObjectMapper JSON = new ObjectMapper();

	@TempDir
	Path directory;

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
			await().atMost(Duration.ofSeconds(30)).until(() -> arbiter.readyWorkers() == 1);
			assertThat(arbiter.get("/grow?mb=450")).isEqualTo(Long.toString(leaking.pid()));
			await().atMost(Duration.ofSeconds(90)).until(() -> !leaking.isAlive());
			await().atMost(Duration.ofSeconds(60)).until(() -> arbiter.get("/pid") != null);
			assertThat(arbiter.log()).containsPattern("Recycling Worker 1 \\(pid " + leaking.pid()
					+ "\\): private memory \\d+ MB over the limit of 400 MB");
		}
	}

}
