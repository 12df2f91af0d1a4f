package dev.prefork.server;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link Arbiter}, without a server, in the style of gunicorn's {@code test_arbiter}:
 * replacements, scaling, crash loops and stopping, each worker booted exactly once and leaving
 * exactly once, and no worker or thread left behind by {@code stop()} whatever it raced.
 */
class ArbiterTests {

	private final AtomicReference<String> halted = new AtomicReference<>();

	private final List<Worker> exited = new CopyOnWriteArrayList<>();

	private Arbiter arbiter;

	@AfterEach
	void stopArbiter() {
		if (this.arbiter != null) {
			this.arbiter.stop();
		}
	}

	@Test
	void startBootsEveryWorkerBeforeItReturnsAndStopEndsThemAll() {
		Arbiter arbiter = start((settings) -> settings.workers(3), WorkerInitializer.NONE);
		assertThat(arbiter.getWorkers()).hasSize(3)
			.allSatisfy((worker) -> assertThat(worker.getState()).isEqualTo(Worker.State.ACTIVE));
		arbiter.stop();
		assertThat(arbiter.getWorkers()).isEmpty();
		assertThat(arbiter.getExited()).isEqualTo(3);
		await().atMost(Duration.ofSeconds(10)).until(() -> LiveThreads.workers().isEmpty());
	}

	@Test
	void aRecycledWorkerIsReplacedBeforeItIsRetired() {
		Arbiter arbiter = start((settings) -> settings.workers(2), WorkerInitializer.NONE);
		Worker original = arbiter.getWorkers().get(0);
		arbiter.recycle(1);
		await().until(() -> this.exited.contains(original));
		assertThat(arbiter.getActiveWorkers()).hasSize(2).doesNotContain(original);
		assertThat(arbiter.getRecycled()).isEqualTo(1);
		assertThat(original.getExitReason()).isEqualTo(Worker.ExitReason.RECYCLE);
	}

	@Test
	void scalingByAHugeChangeStopsAtTheLimitInsteadOfOverflowing() {
		Arbiter arbiter = start((settings) -> settings.workers(1).threads(1), WorkerInitializer.NONE);
		arbiter.scaleBy(Integer.MAX_VALUE);
		await().until(() -> arbiter.getTargetWorkers() == ServerSettings.MAX_WORKERS);
		arbiter.scaleBy(Integer.MIN_VALUE);
		await().until(() -> arbiter.getTargetWorkers() == 1);
		await().atMost(Duration.ofSeconds(20)).until(() -> arbiter.getActiveWorkers().size() == 1);
	}

	@Test
	void scalingRefusesACountOutsideTheRangeNamingIt() {
		Arbiter arbiter = start((settings) -> settings.workers(1), WorkerInitializer.NONE);
		assertThatExceptionOfType(InvalidSettingException.class).isThrownBy(() -> arbiter.scale(100_000))
			.withMessageContaining("workers")
			.withMessageContaining("integers from 1 to 1024");
		assertThatExceptionOfType(InvalidSettingException.class).isThrownBy(() -> arbiter.scale(0));
	}

	@Test
	void workersThatKeepFailingToBootHaltTheArbiter() {
		AtomicInteger boots = new AtomicInteger();
		Arbiter arbiter = start((settings) -> settings.workers(1).maxWorkerLifetime(Duration.ofMillis(100)), (id) -> {
			if (boots.incrementAndGet() > 1) {
				throw new IllegalStateException("database is gone");
			}
		});
		await().atMost(Duration.ofSeconds(10)).until(() -> this.halted.get() != null);
		assertThat(this.halted.get()).contains("failed to boot 5 times in a row").contains("database is gone");
		assertThat(arbiter.getBootFailures()).isEqualTo(Arbiter.MAX_CONSECUTIVE_BOOT_FAILURES);
		assertThat(arbiter.getActiveWorkers()).hasSize(1); // the old worker kept serving meanwhile
	}

	@Test
	void aWorkerStillBootingWhenTheArbiterStopsIsStoppedOnceItHasBooted() {
		CountDownLatch release = new CountDownLatch(1);
		AtomicInteger boots = new AtomicInteger();
		CountDownLatch inSecondBoot = new CountDownLatch(1);
		Arbiter arbiter = start((settings) -> settings.workers(1).gracefulTimeout(Duration.ofMillis(200)), (id) -> {
			if (boots.incrementAndGet() > 1) {
				inSecondBoot.countDown();
				awaitIgnoringInterrupts(release);
			}
		});
		arbiter.recycle(1);
		awaitQuietly(inSecondBoot);
		arbiter.stop();
		this.arbiter = null;
		assertThat(LiveThreads.workers()).as("the booting worker's threads").isNotEmpty();
		release.countDown();
		await().atMost(Duration.ofSeconds(10)).until(() -> LiveThreads.workers().isEmpty());
	}

	@Test
	void everyWorkerLeavesExactlyOnceWhateverTheWayOut() {
		Arbiter arbiter = start((settings) -> settings.workers(3), WorkerInitializer.NONE);
		arbiter.recycle(1);
		arbiter.scale(2);
		arbiter.recycleAll(); // worker 1 is being replaced already: only worker 2 is recycled again
		await().until(() -> arbiter.getRecycled() == 2 && arbiter.getActiveWorkers().size() == 2
				&& arbiter.getWorkers().size() == 2);
		arbiter.stop();
		assertThat(this.exited).doesNotHaveDuplicates().hasSize((int) arbiter.getSpawned());
		assertThat(arbiter.getExited()).isEqualTo(arbiter.getSpawned());
	}

	@Test
	void aStopRacingRecyclesLeavesNoWorkerBehind() {
		for (int round = 0; round < 20; round++) {
			this.exited.clear();
			Arbiter arbiter = start((settings) -> settings.workers(2).threads(1), WorkerInitializer.NONE);
			arbiter.recycleAll();
			arbiter.scaleBy(1);
			arbiter.stop();
			this.arbiter = null;
			assertThat(arbiter.getExited()).as("round %d", round).isEqualTo(this.exited.size());
			assertThat(this.exited).doesNotHaveDuplicates();
			await().atMost(Duration.ofSeconds(10)).until(() -> LiveThreads.workers().isEmpty());
		}
	}

	private Arbiter start(Consumer<ServerSettings.Builder> customizer, WorkerInitializer initializer) {
		ServerSettings.Builder settings = ServerSettings.builder().workers(2).threads(2);
		customizer.accept(settings);
		ArbiterListener listener = new ArbiterListener() {
			@Override
			public void workerExited(Worker worker, Worker.ExitReason reason) {
				ArbiterTests.this.exited.add(worker);
			}
		};
		this.arbiter = new Arbiter(settings.build(), initializer, new WorkerPool(), this.halted::set, List.of(listener));
		this.arbiter.start();
		return this.arbiter;
	}

	private static void awaitQuietly(CountDownLatch latch) {
		try {
			latch.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static void awaitIgnoringInterrupts(CountDownLatch latch) {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
		while (latch.getCount() > 0 && System.nanoTime() < deadline) {
			try {
				latch.await(10, TimeUnit.MILLISECONDS);
			}
			catch (InterruptedException ex) {
				// deliberately ignored: this initializer plays one that cannot be interrupted
			}
		}
	}

}
