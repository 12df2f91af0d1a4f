package dev.prefork.faults.scenario;

import java.time.Duration;
import java.util.List;

import dev.prefork.faults.app.Actuator.Probe;
import dev.prefork.faults.app.PreforkStatus;
import dev.prefork.faults.app.SampleApp;
import dev.prefork.faults.load.BackgroundLoad;
import dev.prefork.faults.load.LatencyHistogram;
import dev.prefork.faults.load.LoadShape;
import dev.prefork.faults.load.LoadWindow;
import dev.prefork.faults.load.RequestSpec;
import dev.prefork.faults.load.ResponsePolicy;

/**
 * Four times the server's capacity, then back to normal. During the overload 503s are by design
 * (counted apart); anything else is a failure. Afterwards the server must recover completely: no
 * stuck worker, queues back to 0, readiness UP again (it is expected to go OUT_OF_SERVICE with
 * {@code saturation-readiness=true} and a 1 s window), and every background request answered 200.
 */
final class OverloadScenario implements Scenario {

	private static final int WORKERS = 2;

	private static final int THREADS = 8;

	private static final int QUEUE = 8;

	private static final int WORK_MILLIS = 100;

	private static final RequestSpec SLOW_WORK = RequestSpec.get("/work?ms=" + WORK_MILLIS, 200);

	/** Requests per second the workers can serve: every thread busy with 100 ms requests. */
	private static final double CAPACITY = WORKERS * THREADS * 1000.0 / WORK_MILLIS;

	/**
	 * 128 connections, one request each every 200 ms: 640 requests/s offered, 4x capacity. The
	 * interval is no shorter than an admitted request's worst time (100 ms queued + 100 ms of work),
	 * so that no connection falls behind its pace and the offered rate really is 640/s.
	 */
	private static final LoadShape OVERLOAD = new LoadShape(128, Duration.ofMillis(200), List.of(SLOW_WORK), 0);

	private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(15);

	@Override
	public String name() {
		return "overload";
	}

	@Override
	public void run(ScenarioContext context, ScenarioResult result) throws Exception {
		Duration duration = context.pick(Duration.ofSeconds(6), Duration.ofSeconds(60));
		result.injected(String.format("%.0f req/s of /work?ms=%d (%.0fx the %.0f req/s of %d workers x %d threads, queue %d) "
				+ "for %d s, then back to normal; saturation-readiness on, window 1s", OVERLOAD.offeredRate(), WORK_MILLIS,
				OVERLOAD.offeredRate() / CAPACITY, CAPACITY, WORKERS, THREADS, QUEUE, duration.toSeconds()));
		ResponsePolicy overloaded = ResponsePolicy.allowing503("503 while overloaded");
		try (SampleApp app = context.startApp(name(), "--prefork.workers=" + WORKERS, "--prefork.threads=" + THREADS,
				"--prefork.queue-capacity=" + QUEUE, "--prefork.health.saturation-readiness=true",
				"--prefork.health.saturation-window=1s")) {
			BackgroundLoad background = context.startBackground(app, ResponsePolicy.STRICT);
			ScenarioContext.pause(Duration.ofSeconds(2));
			LoadWindow backgroundOverloaded = background.beginPhase("overload", overloaded);
			BackgroundLoad overload;
			ProbeMonitor probes = new ProbeMonitor(app.actuator(), Duration.ofMillis(250));
			try (probes) {
				overload = BackgroundLoad.start("overload", app.address(), OVERLOAD, overloaded);
				ScenarioContext.pause(duration);
				overload.stop();
			}
			background.beginPhase("recovery", overloaded);
			long recoveryStart = System.nanoTime();
			Probe readiness = app.actuator().readiness();
			PreforkStatus status = app.actuator().prefork();
			while (!(readiness.isUp() && status.isSettled())
					&& System.nanoTime() - recoveryStart < RECOVERY_TIMEOUT.toNanos()) {
				Thread.sleep(100);
				readiness = app.actuator().readiness();
				status = app.actuator().prefork();
			}
			double recoverySeconds = (System.nanoTime() - recoveryStart) / 1e9;
			LoadWindow afterRecovery = background.beginPhase("after recovery", ResponsePolicy.STRICT);
			ScenarioContext.pause(context.pick(Duration.ofSeconds(3), Duration.ofSeconds(15)));
			background.stop();
			result.background(background.total());

			LoadWindow offered = overload.total();
			result.byDesign("overload 503", offered.byDesign());
			result.byDesign("background 503 while overloaded", background.total().byDesign());
			result.require(offered.failed() == 0, "overload requests answered 200 or 503 only",
					offered.summary() + " " + offered.failureSamples());
			result.require(offered.byDesign() > 0, "503s during the overload (it was really overloaded)", offered.summary());
			result.require(readiness.isUp() && status.isSettled(), "recovered within " + RECOVERY_TIMEOUT.toSeconds()
					+ " s (readiness UP, workers settled)", readiness + " " + status.describe());
			result.require(afterRecovery.byDesign() == 0 && afterRecovery.failed() == 0 && afterRecovery.ok() > 0,
					"every background request answered 200 after the recovery", afterRecovery.summary());
			long wentOut = app.countLogLines((line) -> line.contains("refusing traffic until they drain"));
			long cameBack = app.countLogLines((line) -> line.contains("accepting traffic again"));
			result.require(wentOut == cameBack, "readiness back to accepting as often as it went out", wentOut + " out, "
					+ cameBack + " back");
			result.require(wentOut > 0, "readiness OUT_OF_SERVICE during the overload (saturation-readiness)", wentOut);

			PreforkStatus after = ScenarioContext.requireHealthy(app, result, Duration.ofSeconds(10));
			if (after != null) {
				result.require(after.timedOut() == 0, "no worker stuck (none replaced by the heartbeat timeout)",
						after.timedOut());
				result.measure("server counters", after.rejected() + " rejected, " + after.timedOut()
						+ " workers timed out, " + after.busyThreads() + " busy after");
			}
			result.measure("overload", String.format("%.0f req/s offered, %.0f req/s served (capacity %.0f), %,d x 503",
					offered.rate(), offered.ok() / offered.seconds(), CAPACITY, offered.byDesign()));
			// The load generator is paced (a client that waits, as one honouring Retry-After does), so
			// these are the latencies users of an overloaded server see; wrk, which re-sends every 503
			// at once, cannot tell them (benchmarks/RESULTS.md).
			LatencyHistogram admitted = offered.latency(SLOW_WORK);
			LatencyHistogram shed = offered.latencyByDesign(SLOW_WORK);
			result.measure("overload latency", String.format(
					"admitted p50 %.0f ms, p99 %.0f ms (%.1fx the %d ms of work); shed with 503 p50 %.1f ms, p99 %.1f ms",
					admitted.percentileMillis(50), admitted.percentileMillis(99),
					admitted.percentileMillis(99) / WORK_MILLIS, WORK_MILLIS, shed.percentileMillis(50),
					shed.percentileMillis(99)));
			result.measure("background while overloaded", backgroundOverloaded.summary());
			result.measure("recovery", String.format("%.1f s to readiness UP and settled; then %s", recoverySeconds,
					afterRecovery.summary()));
			result.measure("readiness probes during overload", probes.readiness().toString());
			result.measure("liveness probes during overload", probes.liveness().toString());
		}
	}

}
