package dev.prefork.server;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A request's continuations as a Reactor scheduler, on a real thread pool: work runs there in
 * order, work taken back before it starts never runs, and a refused continuation is the
 * pipeline's error alone, never reported to an uncaught-exception handler.
 */
class ContinuationSchedulerTests {

	private final ExecutorService pool = Executors.newFixedThreadPool(2);

	private final List<Throwable> uncaught = new CopyOnWriteArrayList<>();

	private Thread.UncaughtExceptionHandler previous;

	@BeforeEach
	void recordUncaught() {
		this.previous = Thread.getDefaultUncaughtExceptionHandler();
		Thread.setDefaultUncaughtExceptionHandler((thread, ex) -> this.uncaught.add(ex));
	}

	@AfterEach
	void restore() throws InterruptedException {
		Thread.setDefaultUncaughtExceptionHandler(this.previous);
		this.pool.shutdownNow();
		assertThat(this.pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void elementsPublishedOnItArriveInOrderOnThePool() {
		Scheduler scheduler = new ContinuationScheduler(this.pool);
		List<String> threads = new CopyOnWriteArrayList<>();
		List<Integer> received = Flux.range(0, 5000)
			.publishOn(scheduler, 16)
			.doOnNext((element) -> threads.add(Thread.currentThread().getName()))
			.collectList()
			.block(Duration.ofSeconds(10));
		assertThat(received).hasSize(5000).isSorted();
		assertThat(threads).allMatch((name) -> name.startsWith("pool-"));
	}

	@Test
	void aTaskThatThrowsIsLoggedAndItsThreadGoesOnToTheNext() throws InterruptedException {
		ExecutorService oneThread = Executors.newSingleThreadExecutor();
		try {
			Scheduler scheduler = new ContinuationScheduler(oneThread);
			AtomicReference<Thread> failed = new AtomicReference<>();
			AtomicReference<Thread> next = new AtomicReference<>();
			CountDownLatch ran = new CountDownLatch(1);
			scheduler.schedule(() -> {
				failed.set(Thread.currentThread());
				throw new IllegalStateException("an operator's bug");
			});
			scheduler.createWorker().schedule(() -> {
				next.set(Thread.currentThread());
				ran.countDown();
			});
			assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
			assertThat(next.get()).as("the thread that ran the failing task").isSameAs(failed.get());
			assertThat(this.uncaught).isEmpty();
		}
		finally {
			oneThread.shutdownNow();
		}
	}

	@Test
	void aRefusedContinuationFailsThePipelineAndNothingElse() {
		Scheduler scheduler = new ContinuationScheduler((task) -> {
			throw new RejectedExecutionException("no worker left to run it");
		});
		Sinks.Many<Integer> messages = Sinks.many().unicast().onBackpressureBuffer();
		AtomicReference<Throwable> pipelineError = new AtomicReference<>();
		messages.asFlux().publishOn(scheduler).subscribe((message) -> {
		}, pipelineError::set);
		messages.tryEmitNext(1); // as an event loop delivers a WebSocket message
		assertThat(pipelineError.get()).isInstanceOf(RejectedExecutionException.class);
		assertThatExceptionOfType(RejectedExecutionException.class).isThrownBy(() -> scheduler.schedule(() -> {
		}));
		assertThat(this.uncaught).isEmpty();
	}

	@Test
	void workTakenBackBeforeItStartsNeverRuns() throws Exception {
		CountDownLatch blocked = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		ExecutorService single = Executors.newSingleThreadExecutor();
		try {
			single.execute(() -> {
				blocked.countDown();
				await(release);
			});
			assertThat(blocked.await(5, TimeUnit.SECONDS)).isTrue();
			Scheduler scheduler = new ContinuationScheduler(single);
			AtomicBoolean handlerStarted = new AtomicBoolean();
			// subscribeOn: cancelled while queued, as when the client leaves before the handler starts
			Disposable subscription = Mono.fromRunnable(() -> handlerStarted.set(true))
				.subscribeOn(scheduler)
				.subscribe();
			AtomicBoolean ranPlain = new AtomicBoolean();
			Disposable plain = scheduler.schedule(() -> ranPlain.set(true));
			Scheduler.Worker worker = scheduler.createWorker();
			AtomicBoolean ranOnWorker = new AtomicBoolean();
			worker.schedule(() -> ranOnWorker.set(true));
			subscription.dispose();
			plain.dispose();
			worker.dispose();
			assertThat(worker.isDisposed()).isTrue();
			release.countDown();
			single.submit(() -> {
			}).get(5, TimeUnit.SECONDS); // everything queued before it has had its turn
			assertThat(handlerStarted).isFalse();
			assertThat(ranPlain).isFalse();
			assertThat(ranOnWorker).isFalse();
			assertThatExceptionOfType(RejectedExecutionException.class).isThrownBy(() -> worker.schedule(() -> {
			}));
		}
		finally {
			single.shutdownNow();
		}
	}

	private static void await(CountDownLatch latch) {
		try {
			latch.await(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
