package dev.prefork.faults.load;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * What the load saw during one stretch of time (a phase of a scenario, or the whole of it): requests
 * sent, answered correctly, failed by design, failed, and the latencies of correct answers per request
 * kind. A request belongs to the window that was current when it was sent.
 */
public final class LoadWindow {

	/** Failures described one by one, for the report; the rest are only counted. */
	private static final int MAX_SAMPLES = 10;

	private final String name;

	private final long startedNanos = System.nanoTime();

	private volatile long endedNanos;

	private final LongAdder sent = new LongAdder();

	private final LongAdder ok = new LongAdder();

	private final Map<String, LongAdder> sentByKind = new ConcurrentHashMap<>();

	private final Map<String, LongAdder> byDesign = new ConcurrentHashMap<>();

	private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();

	private final Map<String, LatencyHistogram> latencies = new ConcurrentHashMap<>();

	private final Map<String, LatencyHistogram> byDesignLatencies = new ConcurrentHashMap<>();

	private final List<String> failureSamples = new ArrayList<>();

	public LoadWindow(String name) {
		this.name = name;
	}

	public void record(RequestSpec spec, Verdict verdict, long latencyNanos) {
		record(spec, verdict, latencyNanos, null);
	}

	/** Records one request; {@code detail} (an exception message, say) goes into the failure samples. */
	public void record(RequestSpec spec, Verdict verdict, long latencyNanos, String detail) {
		this.sent.increment();
		count(this.sentByKind, spec.name());
		switch (verdict.kind()) {
			case OK -> {
				this.ok.increment();
				this.latencies.computeIfAbsent(spec.name(), (key) -> new LatencyHistogram()).record(latencyNanos);
			}
			case BY_DESIGN -> {
				count(this.byDesign, spec.name() + ": " + verdict.reason());
				this.byDesignLatencies.computeIfAbsent(spec.name(), (key) -> new LatencyHistogram()).record(latencyNanos);
			}
			case FAILED -> {
				count(this.failures, spec.name() + ": " + verdict.reason());
				synchronized (this.failureSamples) {
					if (this.failureSamples.size() < MAX_SAMPLES) {
						double at = (System.nanoTime() - this.startedNanos) / 1e9;
						// The wall clock too, to be lined up against the server's log.
						this.failureSamples.add(String.format("%.2fs (%s) %s %s: %s after %d ms%s", at, Instant.now(), spec.method(),
								spec.target(), verdict.reason(), latencyNanos / 1_000_000,
								(detail != null) ? " (" + detail + ")" : ""));
					}
				}
			}
		}
	}

	private static void count(Map<String, LongAdder> counts, String key) {
		counts.computeIfAbsent(key, (k) -> new LongAdder()).increment();
	}

	void end() {
		if (this.endedNanos == 0) {
			this.endedNanos = System.nanoTime();
		}
	}

	public String name() {
		return this.name;
	}

	public long sent() {
		return this.sent.sum();
	}

	/** Requests of one kind sent (and heard back about) in this window. */
	public long sent(RequestSpec spec) {
		LongAdder count = this.sentByKind.get(spec.name());
		return (count != null) ? count.sum() : 0;
	}

	public long ok() {
		return this.ok.sum();
	}

	public long failed() {
		return sum(this.failures);
	}

	public long byDesign() {
		return sum(this.byDesign);
	}

	public Map<String, Long> failuresByReason() {
		return snapshot(this.failures);
	}

	public Map<String, Long> byDesignByReason() {
		return snapshot(this.byDesign);
	}

	public List<String> failureSamples() {
		synchronized (this.failureSamples) {
			return List.copyOf(this.failureSamples);
		}
	}

	/** Latencies of the correct answers to one kind of request (empty histogram if none). */
	public LatencyHistogram latency(RequestSpec spec) {
		return this.latencies.getOrDefault(spec.name(), new LatencyHistogram());
	}

	/** Latencies of the by-design answers (a 503 that sheds load, say) to one kind of request. */
	public LatencyHistogram latencyByDesign(RequestSpec spec) {
		return this.byDesignLatencies.getOrDefault(spec.name(), new LatencyHistogram());
	}

	public double seconds() {
		long end = (this.endedNanos != 0) ? this.endedNanos : System.nanoTime();
		return (end - this.startedNanos) / 1e9;
	}

	/** Requests per second sent in this window. */
	public double rate() {
		return sent() / Math.max(0.001, seconds());
	}

	/** One line: counts, and the reasons of failures and of by-design outcomes. */
	public String summary() {
		StringBuilder line = new StringBuilder().append(sent()).append(" sent, ").append(failed()).append(" failed");
		if (failed() > 0) {
			line.append(' ').append(describe(failuresByReason()));
		}
		if (byDesign() > 0) {
			line.append(", ").append(byDesign()).append(" by design ").append(describe(byDesignByReason()));
		}
		return line.toString();
	}

	public static String describe(Map<String, Long> counts) {
		return counts.entrySet()
			.stream()
			.map((entry) -> entry.getValue() + " x " + entry.getKey())
			.collect(Collectors.joining("; ", "(", ")"));
	}

	private static long sum(Map<String, LongAdder> counts) {
		return counts.values().stream().mapToLong(LongAdder::sum).sum();
	}

	private static Map<String, Long> snapshot(Map<String, LongAdder> counts) {
		Map<String, Long> copy = new TreeMap<>();
		counts.forEach((key, value) -> copy.put(key, value.sum()));
		return copy;
	}

}
