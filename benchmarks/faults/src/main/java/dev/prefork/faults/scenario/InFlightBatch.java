package dev.prefork.faults.scenario;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.prefork.faults.http.HttpConnection;
import dev.prefork.faults.http.HttpResponse;
import dev.prefork.faults.http.TransportFailure;

/**
 * A batch of identical slow requests sent at once, each on a connection (and thread) of its own,
 * so that all of them are in flight together: the requests a graceful shutdown must finish.
 */
final class InFlightBatch {

	private final CountDownLatch sent;

	private final CountDownLatch answered;

	private final Map<String, Integer> outcomes = new ConcurrentHashMap<>();

	private final List<Thread> threads = new ArrayList<>();

	private InFlightBatch(int size) {
		this.sent = new CountDownLatch(size);
		this.answered = new CountDownLatch(size);
	}

	/** Sends {@code size} GET {@code target}, expecting {@code expectedBody} in each answer. */
	static InFlightBatch start(InetSocketAddress address, int size, String target, String expectedBody,
			Duration timeout) {
		InFlightBatch batch = new InFlightBatch(size);
		for (int i = 0; i < size; i++) {
			Thread thread = new Thread(() -> batch.send(address, target, expectedBody, timeout), "faults-inflight-" + i);
			thread.setDaemon(true);
			batch.threads.add(thread);
		}
		batch.threads.forEach(Thread::start);
		return batch;
	}

	private void send(InetSocketAddress address, String target, String expectedBody, Duration timeout) {
		String outcome;
		try (HttpConnection connection = HttpConnection.open(address, timeout)) {
			this.sent.countDown();
			HttpResponse response = connection.get(target);
			outcome = (response.status() == 200 && response.bodyText().startsWith(expectedBody)) ? "200"
					: "status " + response.status() + " " + response.bodyText().strip();
		}
		catch (IOException ex) {
			this.sent.countDown();
			outcome = TransportFailure.of(ex).description();
		}
		this.outcomes.merge(outcome, 1, Integer::sum);
		this.answered.countDown();
	}

	boolean awaitSent(Duration timeout) throws InterruptedException {
		return this.sent.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
	}

	boolean awaitAnswered(Duration timeout) throws InterruptedException {
		return this.answered.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
	}

	/** Outcomes by kind: {@code "200"} for a correct answer. */
	Map<String, Integer> outcomes() {
		return new TreeMap<>(this.outcomes);
	}

}
