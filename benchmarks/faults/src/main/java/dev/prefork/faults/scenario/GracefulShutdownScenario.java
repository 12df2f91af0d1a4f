package dev.prefork.faults.scenario;

import java.time.Duration;
import java.util.Map;

import dev.prefork.faults.app.PreforkStatus;
import dev.prefork.faults.app.SampleApp;
import dev.prefork.faults.http.HttpResponse;
import dev.prefork.faults.http.TransportFailure;
import dev.prefork.faults.load.BackgroundLoad;
import dev.prefork.faults.load.RequestSpec;
import dev.prefork.faults.load.ResponsePolicy;
import dev.prefork.faults.load.Verdict;

/**
 * SIGTERM with 200 two-second requests in flight. All 200 must complete with 200, new connections
 * must be refused from shortly after the signal on, and the JVM must exit by itself (no thread
 * left to keep it alive) within {@code timeout-per-shutdown-phase}.
 */
final class GracefulShutdownScenario implements Scenario {

	private static final int IN_FLIGHT = 200;

	/** Long enough for all 200 to be admitted (on a busy 2-core box) while the first are still running. */
	private static final int WORK_MILLIS = 3000;

	private static final Duration PHASE_TIMEOUT = Duration.ofSeconds(20);

	/** Time from SIGTERM until the listening socket must be closed. */
	private static final Duration REFUSE_WITHIN = Duration.ofSeconds(5);

	@Override
	public String name() {
		return "graceful-shutdown";
	}

	@Override
	public void run(ScenarioContext context, ScenarioResult result) throws Exception {
		result.injected("SIGTERM with " + IN_FLIGHT + " GET /work?ms=" + WORK_MILLIS + " in flight (2 workers x 100 threads); "
				+ "timeout-per-shutdown-phase=" + PHASE_TIMEOUT.toSeconds() + "s");
		ShutdownPolicy policy = new ShutdownPolicy();
		try (SampleApp app = context.startApp(name(), "--prefork.workers=2", "--prefork.threads=100",
				"--prefork.queue-capacity=200", "--spring.lifecycle.timeout-per-shutdown-phase=" + PHASE_TIMEOUT.toSeconds() + "s")) {
			BackgroundLoad background = context.startBackground(app, policy);
			ScenarioContext.pause(Duration.ofSeconds(2));
			InFlightBatch batch = InFlightBatch.start(app.address(), IN_FLIGHT, "/work?ms=" + WORK_MILLIS,
					"worked " + WORK_MILLIS + " ms", Duration.ofSeconds(30));
			boolean allSent = batch.awaitSent(Duration.ofSeconds(5));
			// Actuator requests run on the management lane and are not counted; a background request
			// or two may be, so this is "at least 200".
			PreforkStatus loaded = awaitInFlight(app, IN_FLIGHT, Duration.ofMillis(WORK_MILLIS - 500));
			result.require(allSent && loaded.inFlight() >= IN_FLIGHT, IN_FLIGHT + " requests in flight at SIGTERM",
					loaded.inFlight() + " in flight");

			policy.sigtermNanos = System.nanoTime();
			app.terminate();
			Integer exitCode;
			double exitSeconds;
			ConnectProbe probe = new ConnectProbe(app.address());
			try (probe) {
				exitCode = app.awaitExit(PHASE_TIMEOUT.plusSeconds(30));
				exitSeconds = (System.nanoTime() - policy.sigtermNanos) / 1e9;
			}
			boolean answered = batch.awaitAnswered(Duration.ofSeconds(10));
			background.stop();
			result.background(background.total());

			Map<String, Integer> outcomes = batch.outcomes();
			result.byDesign("background requests refused after SIGTERM", background.total().byDesign());
			result.require(answered && outcomes.getOrDefault("200", 0) == IN_FLIGHT, "all " + IN_FLIGHT
					+ " in-flight requests completed with 200", outcomes);
			result.require(probe.secondsToFirstRefusal() >= 0 && probe.secondsToFirstRefusal() <= REFUSE_WITHIN.toSeconds(),
					"new connections refused within " + REFUSE_WITHIN.toSeconds() + " s of SIGTERM",
					probe.secondsToFirstRefusal() + " s");
			result.require(probe.acceptedAfterRefusal() == 0, "no connection accepted once refusing began",
					probe.acceptedAfterRefusal());
			result.require(exitCode != null && exitSeconds < PHASE_TIMEOUT.toSeconds(), "the JVM exited by itself within "
					+ PHASE_TIMEOUT.toSeconds() + " s (no thread left alive)", (exitCode == null) ? "still running"
							: String.format("exit %d after %.1f s", exitCode, exitSeconds));
			long abandoned = app.countLogLines((line) -> line.contains("abandoned threads at shutdown"));
			result.require(abandoned == 0, "no thread abandoned at shutdown", abandoned + " log lines");
			boolean complete = app.countLogLines((line) -> line.contains("Graceful shutdown complete")) > 0;
			result.require(complete, "graceful shutdown reported complete (not aborted)", "no such log line");
			result.measure("in-flight requests", outcomes.toString());
			result.measure("shutdown", String.format("connections refused %.2f s after SIGTERM (%d accepted before), JVM exit %s after %.1f s",
					probe.secondsToFirstRefusal(), probe.acceptedBeforeRefusal(), exitCode, exitSeconds));
		}
	}

	private static PreforkStatus awaitInFlight(SampleApp app, int inFlight, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		PreforkStatus status = app.actuator().prefork();
		while (status.inFlight() < inFlight && System.nanoTime() < deadline) {
			Thread.sleep(50);
			status = app.actuator().prefork();
		}
		return status;
	}

	/**
	 * Before SIGTERM only a correct answer will do. After it, the server is expected to turn new
	 * work away: a 503 on a kept-alive connection, a refused connection, a connection closed as the
	 * server stops; a wrong status or a hang is still a failure.
	 */
	private static final class ShutdownPolicy implements ResponsePolicy {

		private volatile long sigtermNanos = Long.MAX_VALUE;

		@Override
		public Verdict judge(RequestSpec spec, HttpResponse response, long sentNanos) {
			if (sentNanos > this.sigtermNanos && response.status() == 503) {
				return Verdict.byDesign("503 after SIGTERM");
			}
			return STRICT.judge(spec, response, sentNanos);
		}

		@Override
		public Verdict judge(RequestSpec spec, TransportFailure failure, long sentNanos) {
			if (sentNanos > this.sigtermNanos && failure != TransportFailure.TIMEOUT) {
				return Verdict.byDesign(failure.description() + " after SIGTERM");
			}
			return STRICT.judge(spec, failure, sentNanos);
		}

	}

}
