package dev.prefork.server;

/**
 * The pulse of one worker: its threads beat whenever they pick up or finish a task, and the
 * arbiter reads the time since the last beat. In gunicorn the worker touches a temp file; a
 * volatile timestamp is the in-process equivalent.
 */
final class WorkerHeartbeat {

	private volatile long lastBeatNanos = System.nanoTime();

	void beat() {
		this.lastBeatNanos = System.nanoTime();
	}

	long nanosSinceLastBeat(long nowNanos) {
		return nowNanos - this.lastBeatNanos;
	}

}
