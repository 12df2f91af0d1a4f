package dev.prefork.faults.scenario;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

import dev.prefork.faults.app.Actuator;
import dev.prefork.faults.app.Actuator.Probe;

/**
 * Polls the readiness and liveness probes the way Kubernetes would (a few times a second) and
 * tallies what they answered, telling a real {@code OUT_OF_SERVICE} from a probe that was itself
 * turned away with an overload 503.
 */
final class ProbeMonitor implements AutoCloseable {

	private final Actuator actuator;

	private final Thread thread;

	private final Map<String, Integer> readiness = new TreeMap<>();

	private final Map<String, Integer> liveness = new TreeMap<>();

	private volatile boolean running = true;

	ProbeMonitor(Actuator actuator, Duration period) {
		this.actuator = actuator;
		this.thread = new Thread(() -> poll(period), "faults-probes");
		this.thread.setDaemon(true);
		this.thread.start();
	}

	private void poll(Duration period) {
		while (this.running) {
			tally(this.readiness, this.actuator.readiness());
			tally(this.liveness, this.actuator.liveness());
			try {
				Thread.sleep(period.toMillis());
			}
			catch (InterruptedException ex) {
				return;
			}
		}
	}

	private synchronized void tally(Map<String, Integer> counts, Probe probe) {
		String outcome = probe.wasRefused() ? "refused (503 overload)"
				: (probe.httpStatus() < 0) ? "no answer" : probe.httpStatus() + " " + probe.state();
		counts.merge(outcome, 1, Integer::sum);
	}

	synchronized Map<String, Integer> readiness() {
		return new TreeMap<>(this.readiness);
	}

	synchronized Map<String, Integer> liveness() {
		return new TreeMap<>(this.liveness);
	}

	@Override
	public void close() throws InterruptedException {
		this.running = false;
		this.thread.interrupt();
		this.thread.join(15_000);
	}

}
