package dev.prefork.process;

import org.jspecify.annotations.Nullable;

/**
 * What a worker JVM reports every second: its threads, how many are busy, how many requests it
 * has finished and how many it has in flight, its queue and its saturation. Progress is judged
 * on these, not on the beat alone: a JVM whose every thread is stuck still beats (gunicorn's
 * gthread workers do too). Fields are only ever appended and a reader takes the ones it knows
 * (missing ones are 0), so that an arbiter reads the beat of a worker of an older jar (a rollback).
 * The other way round, a worker sends the longer beat only to an arbiter that said it reads it
 * ({@code protocol 2} in answer to {@code ready}): an arbiter of the first version refused any
 * beat of other than five fields, and timed the worker out.
 *
 * @param threads request threads of the worker
 * @param busy threads running a request
 * @param completed requests finished since the worker started
 * @param inFlight requests admitted and not finished
 * @param connections connections open on the worker
 * @param queued requests waiting for a thread
 * @param saturationPerMille the worker's saturation (as {@code prefork}'s health tells it), in
 * thousandths
 * @param exceptions requests that ended with an exception since the worker started
 */
public record Heartbeat(int threads, int busy, long completed, int inFlight, int connections, int queued,
		int saturationPerMille, long exceptions) {

	/** The version of the lines this code reads and writes; the first, five fields, was 1. */
	public static final int PROTOCOL = 2;

	private static final int KNOWN_FIELDS = 8;

	/** The line a worker sends after {@code beat }, for an arbiter that reads {@code protocol}. */
	public String format(int protocol) {
		String first = this.threads + " " + this.busy + " " + this.completed + " " + this.inFlight + " "
				+ this.connections;
		return (protocol < 2) ? first : first + " " + this.queued + " " + this.saturationPerMille + " " + this.exceptions;
	}

	static @Nullable Heartbeat parse(String text) {
		String[] parts = text.trim().split(" ");
		if (parts.length < 5) {
			return null;
		}
		try {
			long[] fields = new long[KNOWN_FIELDS];
			for (int i = 0; i < Math.min(parts.length, KNOWN_FIELDS); i++) {
				fields[i] = Long.parseLong(parts[i]);
			}
			return new Heartbeat(Math.toIntExact(fields[0]), Math.toIntExact(fields[1]), fields[2],
					Math.toIntExact(fields[3]), Math.toIntExact(fields[4]), Math.toIntExact(fields[5]),
					Math.toIntExact(fields[6]), fields[7]);
		}
		catch (ArithmeticException | NumberFormatException ex) {
			return null;
		}
	}

	/** Whether every thread is busy, which with no completions means no progress. */
	boolean saturated() {
		return this.threads > 0 && this.busy >= this.threads;
	}

}
