package dev.prefork.faults.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.prefork.faults.load.LoadWindow;

/**
 * The outcome of one scenario: what was injected, the background load's counts, the outcomes
 * provoked by design, the key measurements, and every expectation that did not hold. A scenario
 * passes when no expectation failed.
 */
public final class ScenarioResult {

	private final String name;

	private String injected = "";

	private LoadWindow background;

	private final Map<String, Long> byDesign = new LinkedHashMap<>();

	private final Map<String, String> measurements = new LinkedHashMap<>();

	private final List<String> failures = new ArrayList<>();

	private final List<String> notes = new ArrayList<>();

	private final List<String> details = new ArrayList<>();

	private double seconds;

	public ScenarioResult(String name) {
		this.name = name;
	}

	public void injected(String description) {
		this.injected = description;
	}

	/** The background load over the whole scenario; its failures fail the scenario. */
	public void background(LoadWindow window) {
		this.background = window;
		require(window.failed() == 0, "0 failed background requests", window.failed() + " "
				+ LoadWindow.describe(window.failuresByReason()) + ", first: " + window.failureSamples());
	}

	/** Counts an outcome that the scenario provoked on purpose (a 503 under overload). */
	public void byDesign(String what, long count) {
		this.byDesign.merge(what, count, Long::sum);
	}

	public void measure(String name, String value) {
		this.measurements.put(name, value);
	}

	/** Records an expectation; when it does not hold, the scenario fails and says why. */
	public boolean require(boolean holds, String expectation, Object actual) {
		if (!holds) {
			this.failures.add("expected " + expectation + ", was " + actual);
		}
		return holds;
	}

	public void fail(String reason) {
		this.failures.add(reason);
	}

	/** Something a reader of the output must know (a relaxed bound in short mode, for instance). */
	public void note(String note) {
		this.notes.add(note);
	}

	/** A block of Markdown for the results file (a table of samples, for instance). */
	public void detail(String markdown) {
		this.details.add(markdown);
	}

	public void seconds(double seconds) {
		this.seconds = seconds;
	}

	public String name() {
		return this.name;
	}

	public String injectedDescription() {
		return this.injected;
	}

	public LoadWindow backgroundWindow() {
		return this.background;
	}

	public Map<String, Long> byDesignCounts() {
		return this.byDesign;
	}

	public Map<String, String> measurements() {
		return this.measurements;
	}

	public List<String> failures() {
		return this.failures;
	}

	public List<String> notes() {
		return this.notes;
	}

	public List<String> details() {
		return this.details;
	}

	public double seconds() {
		return this.seconds;
	}

	public boolean passed() {
		return this.failures.isEmpty() && this.background != null;
	}

}
