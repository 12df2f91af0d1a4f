package dev.prefork.server;

import java.util.ArrayList;
import java.util.List;

/**
 * The threads now in one request's code (its handler, or a continuation of it): whether the
 * request still waits for one, which to interrupt when it times out, and which to write off
 * when they do not return.
 */
final class RequestRunners {

	private final List<Thread> threads = new ArrayList<>(1);

	private long interruptedAtNanos;

	private boolean interrupted;

	private boolean abandoned;

	synchronized void enter() {
		this.threads.add(Thread.currentThread());
	}

	/** The calling thread leaves, losing an interrupt meant for this request only, not the next one. */
	void exit() {
		boolean interruptedByUs;
		synchronized (this) {
			this.threads.remove(Thread.currentThread());
			interruptedByUs = this.interrupted;
		}
		if (interruptedByUs) {
			Thread.interrupted();
		}
	}

	/** Whether a thread in the code is parked (waiting on a lock, a latch, a sleep). */
	synchronized boolean hasParked() {
		for (Thread thread : this.threads) {
			Thread.State state = thread.getState();
			if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
				return true;
			}
		}
		return false;
	}

	synchronized boolean hasUninterrupted() {
		return !this.threads.isEmpty() && !this.interrupted;
	}

	/** Whether the request still waits for a thread in its code (one not written off). */
	synchronized boolean isHeld() {
		return !this.threads.isEmpty() && !this.abandoned;
	}

	/** Interrupts the threads in the code, now and (for the request's sake) for good. */
	synchronized List<Thread> interrupt() {
		if (!this.interrupted) {
			this.interruptedAtNanos = System.nanoTime();
		}
		this.interrupted = true;
		for (Thread thread : this.threads) {
			thread.interrupt();
		}
		return List.copyOf(this.threads);
	}

	/**
	 * Writes off the threads still in the code {@code gracefulNanos} after they were interrupted.
	 * @return the threads written off, empty if none was
	 */
	synchronized List<Thread> abandonIfStuck(long nowNanos, long gracefulNanos) {
		if (!this.interrupted || this.abandoned || this.threads.isEmpty()
				|| nowNanos - this.interruptedAtNanos <= gracefulNanos) {
			return List.of();
		}
		this.abandoned = true;
		return List.copyOf(this.threads);
	}

	/** Writes off the threads in the code: the request no longer waits for them. */
	synchronized void abandon() {
		if (!this.threads.isEmpty()) {
			this.abandoned = true;
		}
	}

}
