package dev.prefork.process;

import org.jspecify.annotations.Nullable;

/**
 * What a worker JVM reports every second: its threads, how many are busy, how many requests it
 * has finished and how many it has in flight. Progress is judged on these, not on the beat
 * alone: a JVM whose every thread is stuck still beats (gunicorn's gthread workers do too).
 *
 * @param threads request threads of the worker
 * @param busy threads running a request
 * @param completed requests finished since the worker started
 * @param inFlight requests admitted and not finished
 * @param connections connections open on the worker
 */
public record Heartbeat(int threads, int busy, long completed, int inFlight, int connections) {

	/** The line a worker sends after {@code beat }. */
	public String format() {
		return this.threads + " " + this.busy + " " + this.completed + " " + this.inFlight + " " + this.connections;
	}

	static @Nullable Heartbeat parse(String text) {
		String[] parts = text.trim().split(" ");
		if (parts.length != 5) {
			return null;
		}
		try {
			return new Heartbeat(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Long.parseLong(parts[2]),
					Integer.parseInt(parts[3]), Integer.parseInt(parts[4]));
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

	/** Whether every thread is busy, which with no completions means no progress. */
	boolean saturated() {
		return this.threads > 0 && this.busy >= this.threads;
	}

}
