package dev.prefork.server;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Workers are replaced under load (max requests, lifetime, scaling, recycle on request) without a
 * single failed request: a request is dispatched to a worker, never a connection, so a draining
 * worker only has to finish what it already has.
 */
class RecyclingTests {

	@Test
	void maxRequestsRecyclesWorkersUnderConcurrentLoadWithZeroFailures() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(2);
			factory.setThreads(4);
			factory.setMaxRequests(50);
			factory.setMaxRequestsJitter(10);
		})) {
			LoadClients load = new LoadClients(server, "/sleep?ms=2", 8);
			try (load) {
				await().atMost(Duration.ofSeconds(60)).until(() -> server.arbiter().getRecycled() >= 6);
			}
			assertThat(load.failures).isEmpty();
			await().until(() -> server.arbiter().getWorkers().size() == 2);
			assertThat(server.arbiter().getSpawned()).isGreaterThanOrEqualTo(8);
			assertThat(server.arbiter().getWorkers()).allSatisfy((worker) -> {
				assertThat(worker.getState()).isEqualTo(Worker.State.ACTIVE);
				assertThat(worker.getRequests()).isLessThanOrEqualTo(60 + 8);
			});
		}
	}

	@Test
	void recycleAllAndScalingUpAndDownUnderLoadFailNoRequest() throws Exception {
		try (TestServer server = TestServer.start((factory) -> factory.setWorkers(2))) {
			LoadClients load = new LoadClients(server, "/sleep?ms=5", 8);
			try (load) {
				server.arbiter().scale(4);
				await().until(() -> activeWorkers(server) == 4);
				server.arbiter().recycleAll();
				await().until(() -> server.arbiter().getRecycled() == 4);
				server.arbiter().scale(1);
				await().until(() -> server.arbiter().getWorkers().size() == 1);
				server.arbiter().scale(3);
				await().until(() -> activeWorkers(server) == 3);
				await().until(() -> load.succeeded.get() > 200);
			}
			assertThat(load.failures).isEmpty();
			assertThat(server.arbiter().getTargetWorkers()).isEqualTo(3);
			// Requests of workers that have exited still count: the total never goes down.
			assertThat(server.arbiter().getTotalRequests()).isGreaterThanOrEqualTo(load.succeeded.get());
		}
	}

	@Test
	void maxWorkerLifetimeRecyclesASingleWorkerOverAndOverWithZeroFailures() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setMaxWorkerLifetime(Duration.ofMillis(100));
		})) {
			LoadClients load = new LoadClients(server, "/hello", 8);
			try (load) {
				await().atMost(Duration.ofSeconds(30)).until(() -> server.arbiter().getRecycled() >= 30);
			}
			assertThat(load.failures).isEmpty();
			assertThat(load.succeeded.get()).isPositive();
		}
	}

	@Test
	void aSlowReplacementBootDoesNotHoldUpTheRequestTimeout() throws Exception {
		AtomicInteger boots = new AtomicInteger();
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(2);
			factory.setRequestTimeout(Duration.ofMillis(300));
			factory.setWorkerInitializer((id) -> {
				if (boots.incrementAndGet() > 1) {
					Thread.sleep(4000); // a replacement that warms a cache for a while
				}
			});
		})) {
			server.arbiter().recycle(1);
			await().until(() -> boots.get() == 2);
			long start = System.nanoTime();
			assertThat(server.get("/hang").statusCode()).isEqualTo(503);
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
			// The old worker serves until its replacement has booted.
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
			assertThat(server.arbiter().getRecycled()).isZero();
			await().atMost(Duration.ofSeconds(10)).until(() -> server.arbiter().getRecycled() == 1);
		}
	}

	private static long activeWorkers(TestServer server) {
		return server.arbiter().getWorkers().stream().filter((w) -> w.getState() == Worker.State.ACTIVE).count();
	}

}
