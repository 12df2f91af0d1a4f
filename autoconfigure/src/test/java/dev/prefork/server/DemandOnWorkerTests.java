package dev.prefork.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link DemandOnWorker} under demand from many threads at once, as an event loop and the
 * worker's own threads may ask together: every element asked for reaches the source, whose
 * {@code request} is never entered by two threads at once; demand the worker cannot take is
 * passed on where it was asked for.
 */
class DemandOnWorkerTests {

	@Test
	void demandFromManyThreadsAtOnceAllReachesTheSourceOneCallAtATime() throws Exception {
		ExecutorService worker = Executors.newFixedThreadPool(2);
		ExecutorService askers = Executors.newFixedThreadPool(4);
		CountingSource source = new CountingSource();
		AskingSubscriber subscriber = new AskingSubscriber();
		try {
			DemandOnWorker.of(source, worker).subscribe(subscriber);
			long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
			AtomicLong asked = new AtomicLong();
			List<Runnable> lanes = new ArrayList<>();
			for (int i = 0; i < 4; i++) {
				lanes.add(() -> {
					while (System.nanoTime() < deadline) {
						subscriber.ask(1);
						asked.incrementAndGet();
					}
				});
			}
			lanes.forEach(askers::execute);
			askers.shutdown();
			assertThat(askers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
			await().atMost(Duration.ofSeconds(10)).until(() -> source.requested.get() == asked.get());
			assertThat(asked.get()).isPositive();
			assertThat(source.overlapped).as("request entered by two threads at once").isFalse();
		}
		finally {
			worker.shutdownNow();
			askers.shutdownNow();
		}
	}

	@Test
	void demandThatTheWorkerRefusesIsPassedOnWhereItWasAsked() {
		CountingSource source = new CountingSource();
		AskingSubscriber subscriber = new AskingSubscriber();
		DemandOnWorker.of(source, (task) -> {
			throw new RejectedExecutionException("no headroom");
		}).subscribe(subscriber);
		subscriber.ask(5);
		assertThat(source.requested).hasValue(5);
		assertThat(source.lastCaller).isSameAs(Thread.currentThread());
	}

	/** A source that counts the demand it gets and notices two threads inside {@code request}. */
	private static final class CountingSource extends Flux<Integer> {

		final AtomicLong requested = new AtomicLong();

		final AtomicInteger inside = new AtomicInteger();

		volatile boolean overlapped;

		volatile Thread lastCaller;

		@Override
		public void subscribe(CoreSubscriber<? super Integer> actual) {
			actual.onSubscribe(new Subscription() {

				@Override
				public void request(long n) {
					if (inside.incrementAndGet() > 1) {
						overlapped = true;
					}
					lastCaller = Thread.currentThread();
					requested.addAndGet(n);
					for (int i = 0; i < 100; i++) {
						Thread.onSpinWait(); // a source at work, long enough for a second caller to come in
					}
					inside.decrementAndGet();
				}

				@Override
				public void cancel() {
				}

			});
		}

	}

	/** Asks for demand itself, from whichever thread calls {@link #ask}. */
	private static final class AskingSubscriber extends BaseSubscriber<Integer> {

		private final AtomicBoolean subscribed = new AtomicBoolean();

		@Override
		protected void hookOnSubscribe(Subscription subscription) {
			this.subscribed.set(true); // no demand of its own
		}

		void ask(long n) {
			assertThat(this.subscribed).isTrue();
			request(n);
		}

	}

}
