package dev.prefork.faults.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

import dev.prefork.faults.app.ProcessSample;

/**
 * Samples of a process's resources over time, and for each resource its start, end and trend
 * (least-squares slope per minute), which is what tells a leak from noise.
 */
final class ResourceSeries {

	private final List<ProcessSample> samples = new ArrayList<>();

	void add(ProcessSample sample) {
		this.samples.add(sample);
	}

	List<ProcessSample> samples() {
		return List.copyOf(this.samples);
	}

	int size() {
		return this.samples.size();
	}

	double first(ToDoubleFunction<ProcessSample> resource) {
		return resource.applyAsDouble(this.samples.get(0));
	}

	double last(ToDoubleFunction<ProcessSample> resource) {
		return resource.applyAsDouble(this.samples.get(this.samples.size() - 1));
	}

	/** Least-squares slope of the resource, per minute. */
	double slopePerMinute(ToDoubleFunction<ProcessSample> resource) {
		int n = this.samples.size();
		if (n < 2) {
			return 0;
		}
		double meanX = this.samples.stream().mapToDouble((sample) -> sample.seconds() / 60).average().orElse(0);
		double meanY = this.samples.stream().mapToDouble(resource).average().orElse(0);
		double covariance = 0;
		double variance = 0;
		for (ProcessSample sample : this.samples) {
			double dx = sample.seconds() / 60 - meanX;
			covariance += dx * (resource.applyAsDouble(sample) - meanY);
			variance += dx * dx;
		}
		return (variance == 0) ? 0 : covariance / variance;
	}

	/** "start -> end (slope/min)" in the given unit. */
	String describe(ToDoubleFunction<ProcessSample> resource, String unit) {
		return String.format("%.1f -> %.1f %s (%+.2f %s/min)", first(resource), last(resource), unit,
				slopePerMinute(resource), unit);
	}

	/** The samples as a Markdown table. */
	String table() {
		StringBuilder table = new StringBuilder(
				"| t (s) | heap after GC (MB) | RSS (MB) | threads | fds |\n|---:|---:|---:|---:|---:|\n");
		for (ProcessSample sample : this.samples) {
			table.append(String.format("| %.0f | %.1f | %.0f | %d | %d |%n", sample.seconds(), sample.heapAfterGcKb() / 1024.0,
					sample.rssKb() / 1024.0, sample.threads(), sample.fds()));
		}
		return table.toString();
	}

}
