package dev.prefork.server;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * When every worker is full a request is answered 503 with Retry-After at once, counted, and the
 * server keeps serving; a queued request whose client left is dropped without running.
 */
class OverloadTests {

	@Test
	void whenEveryWorkerIsFullThenRequestGets503WithRetryAfterAndOthersStillSucceed() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(1);
		})) {
			CompletableFuture<HttpResponse<String>> running = server.getAsync("/block");
			await().until(() -> server.invocations("/block") == 1);
			CompletableFuture<HttpResponse<String>> queued = server.getAsync("/hello");
			await().until(() -> server.arbiter().getWorkers().get(0).getQueued() == 1);

			HttpResponse<String> rejected = server.get("/hello");
			assertThat(rejected.statusCode()).isEqualTo(503);
			assertThat(rejected.headers().firstValue("Retry-After")).hasValue("1");
			assertThat(server.server.getRequestOutcomes().getRejected()).isEqualTo(1);

			server.release.countDown();
			assertThat(running.get().statusCode()).isEqualTo(200);
			assertThat(queued.get().statusCode()).isEqualTo(200);
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
		}
	}

	@Test
	void managementRequestsAreAnsweredOnTheirOwnLaneWhileEveryWorkerIsSaturated() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(0);
			factory.setManagementPathPrefix("/actuator");
		})) {
			CompletableFuture<HttpResponse<String>> running = server.getAsync("/block");
			await().until(() -> server.invocations("/block") == 1);
			assertThat(server.get("/hello").statusCode()).isEqualTo(503);

			HttpResponse<String> management = server.get("/actuator/thread");
			assertThat(management.statusCode()).isEqualTo(200);
			assertThat(management.body()).isEqualTo("prefork-management-t1");
			assertThat(server.arbiter().getManagementLane().getRequests()).isEqualTo(1);
			assertThat(server.arbiter().getTotalRequests()).isEqualTo(1); // the lane is not a worker

			server.release.countDown();
			assertThat(running.get().statusCode()).isEqualTo(200);
		}
	}

	@Test
	void queuedRequestWhoseClientLeftIsNeverRun() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(8);
		})) {
			CompletableFuture<HttpResponse<String>> running = server.getAsync("/block");
			await().until(() -> server.invocations("/block") == 1);
			for (int i = 0; i < 3; i++) {
				try (RawHttp raw = new RawHttp(server.port())) {
					raw.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
					await().until(() -> server.arbiter().getWorkers().get(0).getQueued() >= 1);
				}
			}
			// The connections' close reaches the server while the requests are still queued.
			await().until(() -> server.server.getRequestOutcomes().getClientGone() == 3);
			server.release.countDown();
			assertThat(running.get().statusCode()).isEqualTo(200);
			await().until(() -> server.arbiter().getWorkers().get(0).getInFlight() == 0);
			assertThat(server.invocations("/hello")).isZero();
			assertThat(server.server.getRequestOutcomes().getClientGone()).isEqualTo(3);
			assertThat(server.get("/hello").statusCode()).isEqualTo(200);
		}
	}

	@Test
	void requestsArrivingTogetherAreAdmittedWhileAThreadIsIdleForEach() throws Exception {
		// A thread that has just taken a request counts as busy from then on; had the request
		// still counted as waiting for a thread until it began to run, one arriving in between
		// found no room for it although the other thread was idle.
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(2);
			factory.setQueueCapacity(0);
		}); RawHttp first = new RawHttp(server.port()); RawHttp second = new RawHttp(server.port())) {
			Worker worker = server.arbiter().getWorkers().get(0);
			String request = "GET /sleep?ms=1 HTTP/1.1\r\nHost: localhost\r\n\r\n";
			Map<Integer, Integer> statuses = new TreeMap<>();
			long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
			while (System.nanoTime() < deadline) {
				// Both threads idle again first: one still finishing its last request is busy.
				long idleBy = System.nanoTime() + Duration.ofSeconds(5).toNanos();
				while (worker.getBusyThreads() > 0 && System.nanoTime() < idleBy) {
					Thread.onSpinWait();
				}
				first.send(request);
				second.send(request);
				statuses.merge(first.readResponse().status(), 1, Integer::sum);
				statuses.merge(second.readResponse().status(), 1, Integer::sum);
			}
			assertThat(statuses).as("statuses of pairs of requests sent together to two idle threads")
				.containsOnlyKeys(200);
		}
	}

	@Test
	void keepAliveClientsSendingTheirNextRequestAsEachAnswerArrivesAreNeverRefused() throws Exception {
		// As many connections as the worker admits (two threads, two places in the queue), each
		// sending its next request as soon as its answer is read: none is refused.
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(2);
			factory.setQueueCapacity(2);
		})) {
			List<RawHttp> connections = new ArrayList<>();
			try {
				List<Callable<Integer>> lanes = new ArrayList<>();
				for (int i = 0; i < 4; i++) {
					RawHttp connection = new RawHttp(server.port());
					connections.add(connection);
					lanes.add(() -> connection.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
						.readResponse()
						.status());
				}
				assertThat(BackToBack.statuses(Duration.ofSeconds(3), lanes))
					.as("statuses of 3 s of back-to-back requests on as many connections as admitted")
					.containsOnlyKeys(200);
			}
			finally {
				for (RawHttp connection : connections) {
					connection.close();
				}
			}
		}
	}

}
