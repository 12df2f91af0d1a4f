package dev.prefork.metrics;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

import io.micrometer.common.docs.KeyName;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import dev.prefork.server.PreforkReactiveWebServerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link PreforkMetricsBinder} against a real server: every documented meter is there with its
 * description and base unit, values follow requests, rejections, timeouts, exceptions and
 * restarts, per-worker meters follow their slot through recycling and scaling, and counters never
 * go down while workers are replaced.
 */
class PreforkMetricsBinderTests {

	private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

	private final PreforkMetricsBinder binder = new PreforkMetricsBinder(this.registry);

	@Test
	void everyDocumentedMeterIsRegisteredWithItsTypeDescriptionBaseUnitAndTags() {
		try (MetricsTestServer server = start((factory) -> {
		})) {
			for (PreforkMeters documented : PreforkMeters.values()) {
				if (documented.isProcessModeOnly()) {
					// Checked by the process-mode tests, where the arbiter's view exists.
					continue;
				}
				List<String> tagKeys = Arrays.stream(documented.getKeyNames()).map(KeyName::asString).toList();
				assertThat(this.registry.find(documented.getName()).meters()).as(documented.getName())
					.isNotEmpty()
					.allSatisfy((meter) -> {
						assertThat(meter.getId().getType()).isEqualTo(documented.getType());
						assertThat(meter.getId().getDescription()).isEqualTo(documented.getDescription());
						assertThat(meter.getId().getBaseUnit()).isEqualTo(documented.getBaseUnit());
						assertThat(meter.getId().getTags()).extracting(Tag::getKey)
							.containsExactlyInAnyOrderElementsOf(tagKeys);
					});
			}
			assertThat(this.registry.find("prefork.workers").tag("state", "active").gauge().value()).isEqualTo(2);
			assertThat(this.registry.get("prefork.workers.target").gauge().value()).isEqualTo(2);
			assertThat(this.registry.get("prefork.backlog").gauge().value())
				.matches((backlog) -> backlog.isNaN() || backlog >= 0, "NaN or a length");
		}
	}

	@Test
	void requestsAreCountedByWorkerSlotAndOutcome() throws Exception {
		try (MetricsTestServer server = start((factory) -> {
		})) {
			for (int i = 0; i < 4; i++) {
				assertThat(server.get("/hello")).isEqualTo(200);
			}
			assertThat(server.get("/missing")).isEqualTo(404);
			assertThat(server.get("/missing")).isEqualTo(404);
			assertThat(server.get("/boom")).isEqualTo(500);
			await().untilAsserted(() -> {
				assertThat(sum("prefork.requests", "outcome", "success")).isEqualTo(4);
				assertThat(sum("prefork.requests", "outcome", "client-error")).isEqualTo(2);
				assertThat(sum("prefork.requests", "outcome", "server-error")).isEqualTo(1);
			});
			assertThat(sum("prefork.requests")).isEqualTo(7);
			assertThat(this.registry.find("prefork.requests").meters())
				.extracting((meter) -> meter.getId().getTag("worker"))
				.containsOnly("1", "2");
		}
	}

	@Test
	void anExceptionTypeGetsItsCounterAsSoonAsItIsFirstSeen() throws Exception {
		try (MetricsTestServer server = start((factory) -> {
		})) {
			String type = IllegalStateException.class.getName();
			assertThat(this.registry.find("prefork.exceptions").tag("exception", type).functionCounter()).isNull();
			assertThat(server.get("/boom")).isEqualTo(500);
			assertThat(server.get("/boom")).isEqualTo(500);
			assertThat(this.registry.get("prefork.exceptions").tag("exception", type).functionCounter().count())
				.isEqualTo(2);
			assertThat(this.registry.get("prefork.exceptions").tag("exception", "other").functionCounter().count())
				.isZero();
		}
	}

	@Test
	void anOverloadRejectionIsCounted() throws Exception {
		try (MetricsTestServer server = start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(0);
		})) {
			CompletableFuture<HttpResponse<Void>> running = server.getAsync("/block");
			await().until(() -> server.blocked.get() == 1);
			assertThat(server.get("/hello")).isEqualTo(503);
			assertThat(this.registry.get("prefork.rejected").functionCounter().count()).isEqualTo(1);
			server.release.countDown();
			assertThat(running.get().statusCode()).isEqualTo(200);
		}
	}

	@Test
	void queueDepthShowsTheRequestsWaitingForAThreadOfTheSlotsActiveWorker() throws Exception {
		try (MetricsTestServer server = start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(2);
		})) {
			Gauge depth = this.registry.get("prefork.queue.depth").tag("worker", "1").gauge();
			CompletableFuture<HttpResponse<Void>> running = server.getAsync("/block");
			await().until(() -> server.blocked.get() == 1);
			CompletableFuture<HttpResponse<Void>> queued = server.getAsync("/hello");
			await().until(() -> depth.value() == 1);
			server.release.countDown();
			assertThat(running.get().statusCode()).isEqualTo(200);
			assertThat(queued.get().statusCode()).isEqualTo(200);
			await().until(() -> depth.value() == 0);
		}
	}

	@Test
	void aRequestTimeoutIsCountedAsKindRequestAndAsOutcomeTimeout() throws Exception {
		try (MetricsTestServer server = start((factory) -> factory.setRequestTimeout(Duration.ofMillis(200)))) {
			assertThat(server.get("/block")).isEqualTo(503);
			await().untilAsserted(() -> {
				assertThat(sum("prefork.timeouts", "kind", "request")).isEqualTo(1);
				assertThat(sum("prefork.requests", "outcome", "timeout")).isEqualTo(1);
			});
			assertThat(sum("prefork.timeouts", "kind", "heartbeat")).isZero();
		}
	}

	@Test
	void aWorkerThatMissesItsHeartbeatIsCountedAsKindHeartbeatAndRestartedForTimeout() throws Exception {
		try (MetricsTestServer server = start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setTimeout(Duration.ofMillis(500));
		})) {
			// Not asserting the stuck request's status: how the engine answers it is its own tests' business.
			server.getAsync("/block");
			await().untilAsserted(() -> {
				assertThat(sum("prefork.timeouts", "kind", "heartbeat")).isEqualTo(1);
				assertThat(sum("prefork.worker.restarts", "reason", "timeout")).isEqualTo(1);
			});
			// Counted as the worker leaves; its replacement boots on the spawner's thread after that.
			await().untilAsserted(() -> assertThat(server.get("/hello")).isEqualTo(200));
		}
	}

	@Test
	void restartsAreCountedByReasonIncludingAWorkerThatFailedToBoot() {
		AtomicBoolean failBoots = new AtomicBoolean();
		try (MetricsTestServer server = start((factory) -> factory.setWorkerInitializer((workerId) -> {
			if (failBoots.get()) {
				throw new IllegalStateException("worker " + workerId + " cannot boot");
			}
		}))) {
			failBoots.set(true);
			server.arbiter().recycle(1);
			await().until(() -> sum("prefork.worker.restarts", "reason", "crash") == 1);
			failBoots.set(false);
			server.arbiter().recycle(2);
			await().until(() -> sum("prefork.worker.restarts", "reason", "recycle") == 1);
			server.arbiter().scale(1);
			await().until(() -> sum("prefork.worker.restarts", "reason", "scale") == 1);
			assertThat(sum("prefork.worker.restarts")).isEqualTo(3);
			assertThat(this.registry.find("prefork.worker.restarts").tag("reason", "shutdown").counter()).isNull();
		}
	}

	@Test
	void eachWorkerPoolIsBoundAsExecutorMetersNamedAfterItsSlot() {
		try (MetricsTestServer server = start((factory) -> factory.setThreads(3))) {
			for (String name : List.of("prefork-w1", "prefork-w2")) {
				assertThat(this.registry.get("executor.pool.core").tag("name", name).gauge().value()).isEqualTo(3);
				assertThat(this.registry.find("executor.active").tag("name", name).gauge()).isNotNull();
				assertThat(this.registry.find("executor.queued").tag("name", name).gauge()).isNotNull();
				assertThat(this.registry.find("executor.completed").tag("name", name).functionCounter()).isNotNull();
			}
		}
	}

	@Test
	void scalingDownRemovesTheMetersOfTheSlotThatWentAway() {
		try (MetricsTestServer server = start((factory) -> {
		})) {
			assertThat(this.registry.find("prefork.requests").tag("worker", "2").meters()).isNotEmpty();
			assertThat(this.registry.find("executor.active").tag("name", "prefork-w2").gauge()).isNotNull();
			server.arbiter().scale(1);
			await().untilAsserted(() -> {
				assertThat(this.registry.find("prefork.requests").tag("worker", "2").meters()).isEmpty();
				assertThat(this.registry.find("prefork.queue.depth").tag("worker", "2").gauge()).isNull();
				assertThat(this.registry.find("executor.active").tag("name", "prefork-w2").gauge()).isNull();
			});
			assertThat(this.registry.find("prefork.requests").tag("worker", "1").meters()).hasSize(6);
			assertThat(this.registry.find("prefork.queue.depth").tag("worker", "1").gauge()).isNotNull();
			assertThat(this.registry.find("executor.active").tag("name", "prefork-w1").gauge()).isNotNull();
			assertThat(this.registry.get("prefork.workers").tag("state", "active").gauge().value()).isEqualTo(1);
			assertThat(this.registry.get("prefork.workers.target").gauge().value()).isEqualTo(1);
			assertThat(sum("prefork.worker.restarts", "reason", "scale")).isEqualTo(1);
			server.arbiter().scale(2);
			await().until(() -> this.registry.find("executor.active").tag("name", "prefork-w2").gauge() != null);
			assertThat(this.registry.find("prefork.requests").tag("worker", "2").meters()).hasSize(6);
		}
	}

	@Test
	void recyclingMovesTheExecutorMetersToTheReplacementAndKeepsTheSlotsCountsWhileTheOldWorkerDrains()
			throws Exception {
		try (MetricsTestServer server = start((factory) -> factory.setWorkers(1))) {
			Monotonic successes = new Monotonic(() -> sum("prefork.requests", "worker", "1", "outcome", "success"));
			for (int i = 0; i < 5; i++) {
				assertThat(server.get("/hello")).isEqualTo(200);
			}
			await().until(() -> successes.sample() == 5);
			Gauge poolBefore = this.registry.get("executor.pool.size").tag("name", "prefork-w1").gauge();
			int executorMeters = this.registry.find("executor.pool.size").meters().size();

			CompletableFuture<HttpResponse<Void>> heldByTheOldWorker = server.getAsync("/block");
			await().until(() -> server.blocked.get() == 1);
			server.arbiter().recycleAll();
			await().until(() -> successes.sample() >= 5 && gauge("prefork.workers", "state", "draining") == 1
					&& gauge("prefork.workers", "state", "active") == 1);
			Gauge poolAfter = this.registry.get("executor.pool.size").tag("name", "prefork-w1").gauge();
			assertThat(poolAfter).isNotSameAs(poolBefore);
			assertThat(this.registry.find("executor.pool.size").meters()).hasSize(executorMeters);
			for (int i = 0; i < 3; i++) {
				assertThat(server.get("/hello")).isEqualTo(200);
			}
			await().until(() -> successes.sample() == 8);

			server.release.countDown();
			assertThat(heldByTheOldWorker.get().statusCode()).isEqualTo(200);
			await().until(() -> successes.sample() == 9 && gauge("prefork.workers", "state", "draining") == 0
					&& server.arbiter().getWorkers().size() == 1);
			assertThat(successes.sample()).isEqualTo(9);
			assertThat(sum("prefork.worker.restarts", "reason", "recycle")).isEqualTo(1);
			assertThat(this.registry.get("executor.pool.size").tag("name", "prefork-w1").gauge()).isSameAs(poolAfter);
		}
	}

	@Test
	void countersNeverGoDownWhileWorkersAreRecycledUnderLoad() throws Exception {
		AtomicInteger answered = new AtomicInteger();
		Queue<String> failures = new ConcurrentLinkedQueue<>();
		AtomicBoolean loading = new AtomicBoolean(true);
		ExecutorService clients = Executors.newFixedThreadPool(4);
		try (MetricsTestServer server = start((factory) -> factory.setWorkers(2))) {
			Map<Meter.Id, Monotonic> series = new ConcurrentHashMap<>();
			Runnable sampleEverySeries = () -> this.registry.find("prefork.requests")
				.meters()
				.forEach((meter) -> series.computeIfAbsent(meter.getId(), (id) -> new Monotonic(() -> value(meter)))
					.sample());
			for (int i = 0; i < 4; i++) {
				clients.execute(() -> {
					while (loading.get()) {
						try {
							int status = server.get("/hello");
							if (status == 200) {
								answered.incrementAndGet();
							}
							else {
								failures.add("status " + status);
							}
						}
						catch (Exception ex) {
							failures.add(ex.toString());
						}
					}
				});
			}
			for (int round = 1; round <= 3; round++) {
				long recycled = server.arbiter().getRecycled();
				server.arbiter().recycleAll();
				await().pollInterval(Duration.ofMillis(5)).until(() -> {
					sampleEverySeries.run();
					return server.arbiter().getRecycled() == recycled + 2
							&& server.arbiter().getWorkers().size() == 2;
				});
			}
			loading.set(false);
			clients.shutdown();
			assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
			// Every answer the clients saw is counted once; a request whose client saw it fail
			// may have been answered all the same (the failure came after), and no other.
			await().untilAsserted(() -> {
				sampleEverySeries.run();
				assertThat(sum("prefork.requests", "outcome", "success"))
					.as("successes counted, for %d answers seen and these failures: %s", answered.get(), failures)
					.isBetween((double) answered.get(), (double) answered.get() + failures.size());
			});
			assertThat(answered.get()).isPositive();
			assertThat(sum("prefork.worker.restarts", "reason", "recycle")).isEqualTo(6);
		}
		finally {
			loading.set(false);
			clients.shutdownNow();
		}
	}

	@Test
	void stoppingTheServerRemovesTheWorkerMetersAndClosingTheBinderRemovesTheRest() {
		MetricsTestServer server = start((factory) -> {
		});
		try (server) {
			server.server.stop();
			assertThat(this.registry.find("prefork.requests").meters()).isEmpty();
			assertThat(this.registry.find("prefork.queue.depth").meters()).isEmpty();
			assertThat(this.registry.find("executor.active").meters()).isEmpty();
			assertThat(this.registry.find("prefork.workers").meters()).isNotEmpty();
		}
		assertThat(this.registry.getMeters()).isEmpty();
	}

	@Test
	void afterTheBinderIsClosedWorkerEventsRegisterNothing() {
		try (MetricsTestServer server = start((factory) -> {
		})) {
			this.binder.close();
			assertThat(this.registry.getMeters()).isEmpty();
			server.arbiter().recycleAll();
			await().until(() -> server.arbiter().getRecycled() == 2 && server.arbiter().getWorkers().size() == 2);
			assertThat(this.registry.getMeters()).isEmpty();
		}
	}

	private MetricsTestServer start(Consumer<PreforkReactiveWebServerFactory> customizer) {
		return MetricsTestServer.start(this.binder, customizer);
	}

	/** Reads every meter, as a registry does when it is scraped or publishes. */
	private double sum(String name, String... tags) {
		return this.registry.find(name)
			.tags(tags)
			.meters()
			.stream()
			.mapToDouble(PreforkMetricsBinderTests::value)
			.sum();
	}

	private double gauge(String name, String... tags) {
		return this.registry.get(name).tags(tags).gauge().value();
	}

	private static double value(Meter meter) {
		double total = 0;
		for (Measurement measurement : meter.measure()) {
			total += measurement.getValue();
		}
		return total;
	}

	/** Samples a value and fails the test if it ever goes down. */
	private static final class Monotonic {

		private final DoubleSupplier value;

		private double last;

		Monotonic(DoubleSupplier value) {
			this.value = value;
		}

		synchronized double sample() {
			double current = this.value.getAsDouble();
			assertThat(current).as("a counter went down").isGreaterThanOrEqualTo(this.last);
			this.last = current;
			return current;
		}

	}

}
