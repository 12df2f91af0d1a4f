package dev.prefork.server;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link Worker}'s lifecycle, without a server: its state only moves forward
 * ({@code BOOTING → ACTIVE → DRAINING → STOPPED}), so that a late call cannot bring a stopped
 * worker back, and its exit is accounted for once.
 */
class WorkerTests {

	private final RecordingListener listener = new RecordingListener();

	private final Worker worker = new Worker("prefork-w1-t", 1, 1, 2, false, 4, 6, 0, this.listener);

	@AfterEach
	void stopWorker() {
		this.worker.abort("test over");
	}

	@Test
	void aNewWorkerIsBootingUntilActivated() throws Exception {
		assertThat(this.worker.getState()).isEqualTo(Worker.State.BOOTING);
		this.worker.boot(WorkerInitializer.NONE);
		assertThat(this.worker.getState()).isEqualTo(Worker.State.BOOTING);
		assertThat(this.worker.activate()).isTrue();
		assertThat(this.worker.getState()).isEqualTo(Worker.State.ACTIVE);
		assertThat(this.worker.activate()).isFalse();
	}

	@Test
	void aWorkerAbortedWhileItBootsCannotBeActivated() throws Exception {
		this.worker.boot(WorkerInitializer.NONE);
		this.worker.abort("server stopped");
		assertThat(this.worker.activate()).isFalse();
		assertThat(this.worker.getState()).isEqualTo(Worker.State.STOPPED);
	}

	@Test
	void anAbortedWorkerCannotBeDrainedBackToLife() throws Exception {
		activate();
		this.worker.abort("timed out");
		assertThat(this.worker.drain()).isFalse();
		assertThat(this.worker.getState()).isEqualTo(Worker.State.STOPPED);
		assertThat(this.listener.drained).isEmpty();
	}

	@Test
	void drainingAWorkerWithNothingInFlightTellsItsListenerAtOnce() throws Exception {
		activate();
		assertThat(this.worker.drain()).isTrue();
		assertThat(this.worker.getState()).isEqualTo(Worker.State.DRAINING);
		assertThat(this.listener.drained).containsExactly(this.worker);
		assertThat(this.worker.drain()).isFalse();
	}

	@Test
	void aShutDownWorkerEndsItsThreads() throws Exception {
		activate();
		this.worker.drain();
		this.worker.shutdown();
		assertThat(this.worker.getState()).isEqualTo(Worker.State.STOPPED);
		assertThat(this.worker.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
		assertThat(this.worker.isTerminated()).isTrue();
	}

	@Test
	void itsExitIsAccountedForOnce() {
		assertThat(this.worker.markExited()).isTrue();
		assertThat(this.worker.markExited()).isFalse();
	}

	@Test
	void theFirstExitReasonGivenWins() {
		this.worker.exitingBecause(Worker.ExitReason.TIMEOUT);
		this.worker.exitingBecause(Worker.ExitReason.SHUTDOWN);
		assertThat(this.worker.getExitReason()).isEqualTo(Worker.ExitReason.TIMEOUT);
	}

	@Test
	void aWorkerIsStuckOnlyWhenEveryThreadIsBusyAndNoneHasBeatForTheTimeout() throws Exception {
		activate();
		CountDownLatch release = new CountDownLatch(1);
		long timeout = TimeUnit.SECONDS.toNanos(30);
		this.worker.execute(() -> awaitQuietly(release));
		await().until(() -> this.worker.getBusyThreads() == 1);
		assertThat(this.worker.isStuck(System.nanoTime() + 2 * timeout, timeout)).as("one of two threads busy").isFalse();
		this.worker.execute(() -> awaitQuietly(release));
		await().until(() -> this.worker.getBusyThreads() == 2);
		assertThat(this.worker.isStuck(System.nanoTime(), timeout)).as("both busy, beat just now").isFalse();
		assertThat(this.worker.isStuck(System.nanoTime() + 2 * timeout, timeout)).as("both busy, no beat").isTrue();
		release.countDown();
		await().until(() -> this.worker.getBusyThreads() == 0);
		assertThat(this.worker.isStuck(System.nanoTime() + 2 * timeout, timeout)).isFalse();
	}

	@Test
	void threadsAreNamedAfterTheirWorker() throws Exception {
		activate();
		List<String> names = new CopyOnWriteArrayList<>();
		this.worker.execute(() -> names.add(Thread.currentThread().getName()));
		await().until(() -> !names.isEmpty());
		assertThat(names.get(0)).matches("prefork-w1-t[12]");
		assertThat(Worker.current()).isNull();
	}

	@Test
	void theManagementLanesThreadsSayThatTheyAreTheLanes() throws Exception {
		Worker lane = new Worker("prefork-management-t", Worker.MANAGEMENT_LANE_ID, 0, 1, false, 1, 2, 0, this.listener);
		try {
			lane.boot(WorkerInitializer.NONE);
			lane.activate();
			List<String> names = new CopyOnWriteArrayList<>();
			lane.execute(() -> names.add(Thread.currentThread().getName()));
			await().until(() -> !names.isEmpty());
			assertThat(names.get(0)).isEqualTo("prefork-management-t1");
			assertThat(lane.isManagementLane()).isTrue();
		}
		finally {
			lane.abort("test over");
		}
	}

	private void activate() throws Exception {
		this.worker.boot(WorkerInitializer.NONE);
		this.worker.activate();
	}

	private static void awaitQuietly(CountDownLatch latch) {
		try {
			latch.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static final class RecordingListener implements WorkerListener {

		final List<Worker> drained = new CopyOnWriteArrayList<>();

		@Override
		public void maxRequestsReached(Worker worker) {
		}

		@Override
		public void drained(Worker worker) {
			this.drained.add(worker);
		}

		@Override
		public void threadAbandoned(Worker worker) {
		}

		@Override
		public boolean adopt(Runnable continuation) {
			return false;
		}

	}

}
