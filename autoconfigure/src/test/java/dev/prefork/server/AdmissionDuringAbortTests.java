package dev.prefork.server;

import java.lang.reflect.Field;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A request admitted at the very moment its worker is aborted is still answered, and one that
 * backs off from a worker that began to drain does not keep that worker waiting. The interleavings
 * are forced: the worker's in-flight set is replaced by one that holds the event loop inside the
 * admission until the abort has looked at the requests in flight, and holds the abort until the
 * request has reached the worker's queue (or two seconds have passed). Nothing in the server's
 * code is changed; the pauses only make a legal interleaving certain.
 */
class AdmissionDuringAbortTests {

	@Test
	void requestAdmittedWhileItsWorkerIsAbortedIsAnswered() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setTimeout(Duration.ofSeconds(1));
		})) {
			Worker worker = server.arbiter().getWorkers().get(0);
			InterleavingSet inFlight = InterleavingSet.installIn(worker);
			CompletableFuture<HttpResponse<String>> hung = server.getAsync("/hang");
			await().until(() -> server.invocations("/hang") == 1);
			inFlight.armForNextAdmission();
			try (RawHttp http = new RawHttp(server.port())) {
				http.soTimeout(5_000);
				RawHttp.Response answer = http.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
				assertThat(answer).as("answer to the request admitted during the abort").isNotNull();
				assertThat(answer.status()).isIn(200, 503);
			}
			assertThat(inFlight.pausedBothSides()).as("the interleaving under test happened").isTrue();
			assertThat(hung.get().statusCode()).isEqualTo(503);
		}
	}

	@Test
	void aWorkerDrainedWhileAnAdmissionBacksOffStillExitsAtOnce() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setGracefulTimeout(Duration.ofSeconds(20));
		})) {
			Worker worker = server.arbiter().getWorkers().get(0);
			HoldAfterAddSet inFlight = HoldAfterAddSet.installIn(worker);
			CompletableFuture<HttpResponse<String>> answer = server.getAsync("/hello");
			await().until(inFlight::isHolding);
			// The request is registered but has not re-checked the worker's state: the drain sees
			// it in flight, and the admission then backs off because the worker is draining.
			server.arbiter().recycle(1);
			await().until(() -> worker.getState() == Worker.State.DRAINING);
			inFlight.release();
			assertThat(answer.get().statusCode()).isEqualTo(200);
			await().atMost(Duration.ofSeconds(5)).until(() -> !server.arbiter().getWorkers().contains(worker));
		}
	}

	/** The worker's in-flight set, holding the first admission after its request is registered. */
	static final class HoldAfterAddSet extends AbstractSet<RequestTask> {

		private final Set<RequestTask> delegate = ConcurrentHashMap.newKeySet();

		private final CountDownLatch released = new CountDownLatch(1);

		private volatile boolean holding;

		private volatile boolean held;

		static HoldAfterAddSet installIn(Worker worker) throws ReflectiveOperationException {
			HoldAfterAddSet set = new HoldAfterAddSet();
			Field field = Worker.class.getDeclaredField("inFlight");
			field.setAccessible(true);
			field.set(worker, set);
			return set;
		}

		boolean isHolding() {
			return this.holding;
		}

		void release() {
			this.released.countDown();
		}

		@Override
		public boolean add(RequestTask task) {
			boolean added = this.delegate.add(task);
			if (!this.held) {
				this.held = true;
				this.holding = true;
				InterleavingSet.await(this.released, 10);
			}
			return added;
		}

		@Override
		public boolean remove(Object task) {
			return this.delegate.remove(task);
		}

		@Override
		public boolean contains(Object task) {
			return this.delegate.contains(task);
		}

		@Override
		public Iterator<RequestTask> iterator() {
			return this.delegate.iterator();
		}

		@Override
		public int size() {
			return this.delegate.size();
		}

	}

	/** The worker's in-flight set, with the two pauses that force the interleaving. */
	static final class InterleavingSet extends AbstractSet<RequestTask> {

		private final Set<RequestTask> delegate = ConcurrentHashMap.newKeySet();

		private final Worker worker;

		private final CountDownLatch snapshotTaken = new CountDownLatch(1);

		private volatile boolean armed;

		private volatile RequestTask paused;

		private volatile boolean abortPaused;

		private InterleavingSet(Worker worker) {
			this.worker = worker;
		}

		static InterleavingSet installIn(Worker worker) throws ReflectiveOperationException {
			InterleavingSet set = new InterleavingSet(worker);
			Field field = Worker.class.getDeclaredField("inFlight");
			field.setAccessible(true);
			@SuppressWarnings("unchecked")
			Set<RequestTask> current = (Set<RequestTask>) field.get(worker);
			set.delegate.addAll(current);
			field.set(worker, set);
			return set;
		}

		void armForNextAdmission() {
			this.armed = true;
		}

		boolean pausedBothSides() {
			return this.paused != null && this.abortPaused;
		}

		@Override
		public boolean add(RequestTask task) {
			if (this.armed) {
				this.armed = false;
				this.paused = task;
				await(this.snapshotTaken, 5);
			}
			return this.delegate.add(task);
		}

		@Override
		public Object[] toArray() {
			RequestTask task = this.paused;
			if (task == null || this.snapshotTaken.getCount() == 0) {
				return this.delegate.toArray();
			}
			Object[] snapshot = this.delegate.toArray();
			this.abortPaused = true;
			this.snapshotTaken.countDown();
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
			while (!this.worker.getExecutor().getQueue().contains(task) && System.nanoTime() < deadline) {
				Thread.onSpinWait();
			}
			return snapshot;
		}

		@Override
		public boolean remove(Object task) {
			return this.delegate.remove(task);
		}

		@Override
		public boolean contains(Object task) {
			return this.delegate.contains(task);
		}

		@Override
		public Iterator<RequestTask> iterator() {
			return this.delegate.iterator();
		}

		@Override
		public int size() {
			return this.delegate.size();
		}

		private static void await(CountDownLatch latch, int seconds) {
			try {
				latch.await(seconds, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

}
