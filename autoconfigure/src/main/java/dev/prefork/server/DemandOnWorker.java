package dev.prefork.server;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * Passes a streamed body's demand upstream on the request's worker. reactor-netty asks for the
 * next elements from the connection's event loop as the earlier ones are written, and a
 * synchronous {@code Flux} (rows of a blocking cursor, a {@code map} that renders) produces them
 * on the thread that asks: without this, everything after the first batch would run on the event
 * loop, where an element that blocks stalls every connection of the loop, and the worker would
 * show no busy thread. Demand asked for in the request's code is passed on at once; demand from
 * anywhere else goes to the worker, one hand-off per batch, never per element. Calls upstream
 * stay serial, as Reactive Streams requires, whichever threads ask.
 */
final class DemandOnWorker<T> extends FluxOperator<T, T> {

	private final Executor worker;

	private DemandOnWorker(Flux<? extends T> source, Executor worker) {
		super(source);
		this.worker = worker;
	}

	/** @param worker the request's {@link RequestTask#continuations()} */
	static <T> Flux<T> of(Flux<? extends T> source, Executor worker) {
		return new DemandOnWorker<>(source, worker);
	}

	@Override
	public void subscribe(CoreSubscriber<? super T> actual) {
		this.source.subscribe(new DemandSubscriber<>(actual, this.worker));
	}

	private static final class DemandSubscriber<T> implements CoreSubscriber<T>, Subscription, Runnable {

		private final CoreSubscriber<? super T> actual;

		private final Executor worker;

		/** Demand not yet passed upstream. */
		private final AtomicLong requested = new AtomicLong();

		/** Asks that came while one was being passed on: the one passing them loops again. */
		private final AtomicInteger asks = new AtomicInteger();

		private @Nullable Subscription upstream;

		DemandSubscriber(CoreSubscriber<? super T> actual, Executor worker) {
			this.actual = actual;
			this.worker = worker;
		}

		@Override
		public void onSubscribe(Subscription subscription) {
			if (Operators.validate(this.upstream, subscription)) {
				this.upstream = subscription;
				this.actual.onSubscribe(this);
			}
		}

		@Override
		public void onNext(T element) {
			this.actual.onNext(element);
		}

		@Override
		public void onError(Throwable error) {
			this.actual.onError(error);
		}

		@Override
		public void onComplete() {
			this.actual.onComplete();
		}

		@Override
		public Context currentContext() {
			return this.actual.currentContext();
		}

		@Override
		public void request(long n) {
			if (!Operators.validate(n)) {
				return;
			}
			this.requested.accumulateAndGet(n, Operators::addCap);
			if (this.asks.getAndIncrement() != 0) {
				return; // the thread passing demand on now takes this too
			}
			try {
				this.worker.execute(this); // runs at once when called in the request's code
			}
			catch (RejectedExecutionException ex) {
				// No headroom left in the worker's queue, or no worker left at all: passed on
				// here, as stock WebFlux does, rather than leaving the stream stalled for good.
				run();
			}
		}

		/** Passes on all demand asked for until no ask is left. */
		@Override
		public void run() {
			Subscription upstream = this.upstream;
			int missed = 1;
			do {
				long n = this.requested.getAndSet(0);
				if (n > 0 && upstream != null) {
					upstream.request(n);
				}
				missed = this.asks.addAndGet(-missed);
			}
			while (missed != 0);
		}

		@Override
		public void cancel() {
			Subscription upstream = this.upstream;
			if (upstream != null) {
				upstream.cancel();
			}
		}

	}

}
