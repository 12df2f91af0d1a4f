package dev.prefork.faults.load;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed-size latency histogram (bounded memory, however long a soak runs): 0.1 ms buckets up
 * to 100 ms, where the percentiles of this harness's requests fall, 2 ms buckets up to 2 s and
 * 100 ms buckets up to 60 s. A percentile is reported as its bucket's upper bound.
 */
public final class LatencyHistogram {

	private static final long[] UPPER_BOUNDS_MICROS = upperBounds();

	private final AtomicLongArray counts = new AtomicLongArray(UPPER_BOUNDS_MICROS.length + 1);

	private final AtomicLong total = new AtomicLong();

	private final AtomicLong maxMicros = new AtomicLong();

	public void record(long nanos) {
		long micros = Math.max(0, nanos / 1000);
		this.counts.incrementAndGet(bucketOf(micros));
		this.total.incrementAndGet();
		this.maxMicros.accumulateAndGet(micros, Math::max);
	}

	public long count() {
		return this.total.get();
	}

	/** The latency under which {@code percentile} percent of the samples fall, in milliseconds (NaN if empty). */
	public double percentileMillis(double percentile) {
		long total = this.total.get();
		if (total == 0) {
			return Double.NaN;
		}
		long rank = (long) Math.ceil(total * percentile / 100.0);
		long seen = 0;
		for (int i = 0; i < this.counts.length(); i++) {
			seen += this.counts.get(i);
			if (seen >= rank) {
				long bound = (i < UPPER_BOUNDS_MICROS.length) ? UPPER_BOUNDS_MICROS[i] : Long.MAX_VALUE;
				return Math.min(bound, this.maxMicros.get()) / 1000.0;
			}
		}
		return maxMillis();
	}

	public double maxMillis() {
		return (this.total.get() == 0) ? Double.NaN : this.maxMicros.get() / 1000.0;
	}

	private static int bucketOf(long micros) {
		int low = 0;
		int high = UPPER_BOUNDS_MICROS.length;
		while (low < high) {
			int mid = (low + high) >>> 1;
			if (UPPER_BOUNDS_MICROS[mid] < micros) {
				low = mid + 1;
			}
			else {
				high = mid;
			}
		}
		return low; // == length: the overflow bucket
	}

	private static long[] upperBounds() {
		long[] bounds = new long[1000 + 950 + 580];
		int i = 0;
		for (long micros = 100; micros <= 100_000; micros += 100) {
			bounds[i++] = micros;
		}
		for (long micros = 102_000; micros <= 2_000_000; micros += 2_000) {
			bounds[i++] = micros;
		}
		for (long micros = 2_100_000; micros <= 60_000_000; micros += 100_000) {
			bounds[i++] = micros;
		}
		return java.util.Arrays.copyOf(bounds, i);
	}

}
