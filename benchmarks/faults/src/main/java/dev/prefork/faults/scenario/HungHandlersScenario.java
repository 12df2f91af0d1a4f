package dev.prefork.faults.scenario;

import java.time.Duration;
import java.util.List;

import dev.prefork.faults.app.PreforkStatus;
import dev.prefork.faults.app.SampleApp;
import dev.prefork.faults.load.BackgroundLoad;
import dev.prefork.faults.load.LatencyHistogram;
import dev.prefork.faults.load.LoadShape;
import dev.prefork.faults.load.LoadWindow;
import dev.prefork.faults.load.RequestSpec;
import dev.prefork.faults.load.ResponsePolicy;

/**
 * A stream of {@code /hang} requests (every fifth one {@code ?stubborn=true}, which ignores
 * interrupts). Each must be answered 503 by the request timeout, every stubborn thread must be
 * counted as abandoned, and the background's p99 must stay within 2x of its value measured just
 * before, in the same process.
 */
final class HungHandlersScenario implements Scenario {

	private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(1);

	private static final Duration GRACEFUL_TIMEOUT = Duration.ofSeconds(1);

	private static final RequestSpec HANG = RequestSpec.get("/hang", 503);

	private static final RequestSpec STUBBORN_HANG = RequestSpec.get("/hang?stubborn=true", 503);

	/** Four connections, each sending its next /hang as soon as the previous one is answered. */
	private static final LoadShape HANG_STREAM = new LoadShape(4, Duration.ofMillis(250),
			List.of(HANG, HANG, HANG, HANG, STUBBORN_HANG), 0);

	/** Absolute slack on the p99 bound, so that noise on a few-millisecond p99 cannot fail the run. */
	private static final double P99_FLOOR_MILLIS = 20;

	/** A hang must be answered within the request timeout plus this (a loaded 2-core box is slow). */
	private static final Duration ANSWER_SLACK = Duration.ofSeconds(2);

	@Override
	public String name() {
		return "hung-handlers";
	}

	@Override
	public void run(ScenarioContext context, ScenarioResult result) throws Exception {
		double allowedRatio = context.isShort() ? 5 : 2;
		result.injected("4 connections sending /hang back to back (every 5th ?stubborn=true, ignoring interrupts); "
				+ "request-timeout=" + REQUEST_TIMEOUT.toSeconds() + "s, graceful-timeout="
				+ GRACEFUL_TIMEOUT.toSeconds() + "s");
		try (SampleApp app = context.startApp(name(), "--prefork.request-timeout=" + REQUEST_TIMEOUT.toSeconds() + "s",
				"--prefork.graceful-timeout=" + GRACEFUL_TIMEOUT.toSeconds() + "s")) {
			BackgroundLoad background = context.startBackground(app, ResponsePolicy.STRICT);
			background.beginPhase("warm-up");
			ScenarioContext.pause(context.pick(Duration.ofSeconds(2), Duration.ofSeconds(10)));
			LoadWindow baseline = background.beginPhase("baseline");
			ScenarioContext.pause(context.pick(Duration.ofSeconds(3), Duration.ofSeconds(20)));
			LoadWindow underFault = background.beginPhase("hangs");
			BackgroundLoad hangs = BackgroundLoad.start("hang", app.address(), HANG_STREAM, ResponsePolicy.STRICT);
			ScenarioContext.pause(context.pick(Duration.ofSeconds(6), Duration.ofSeconds(60)));
			hangs.stop();
			background.beginPhase("after");
			// Let the last stubborn threads reach the abandon check (request timeout + graceful timeout).
			ScenarioContext.pause(REQUEST_TIMEOUT.plus(GRACEFUL_TIMEOUT).plusSeconds(1));
			background.stop();
			result.background(background.total());

			LoadWindow hangWindow = hangs.total();
			long stubbornSent = hangWindow.sent(STUBBORN_HANG);
			result.byDesign("/hang answered 503", hangWindow.ok());
			result.require(hangWindow.failed() == 0, "every /hang answered 503",
					hangWindow.summary() + " " + hangWindow.failureSamples());
			result.require(hangWindow.sent() > 0, "some /hang requests sent", hangWindow.sent());
			double slowestHang = Math.max(hangWindow.latency(HANG).maxMillis(), hangWindow.latency(STUBBORN_HANG).maxMillis());
			long answerBound = REQUEST_TIMEOUT.plus(ANSWER_SLACK).toMillis();
			result.require(slowestHang <= answerBound, "every /hang answered within request-timeout + "
					+ ANSWER_SLACK.toSeconds() + "s = " + answerBound + " ms", slowestHang + " ms");
			result.measure("/hang answered", String.format("%d (%d stubborn), p50 %.0f ms, max %.0f ms", hangWindow.ok(),
					stubbornSent, hangWindow.latency(HANG).percentileMillis(50), slowestHang));

			PreforkStatus status = ScenarioContext.requireHealthy(app, result, Duration.ofSeconds(15));
			if (status != null) {
				result.require(status.requestTimeouts() >= hangWindow.ok(), "the server counted every /hang as a request timeout",
						status.requestTimeouts() + " request timeouts for " + hangWindow.ok() + " hangs");
				// Every stubborn thread must be counted. A thread back from an ordinary /hang later than the
				// graceful timeout is counted too (that is what the timeout means); a thread that never ran
				// a /hang never is.
				result.require(status.abandonedThreads() >= stubbornSent && status.abandonedThreads() <= hangWindow.sent(),
						"abandoned threads between the stubborn hangs (" + stubbornSent + ") and all hangs ("
								+ hangWindow.sent() + ")", status.abandonedThreads());
				result.measure("abandoned threads", status.abandonedThreads() + " (stubborn hangs: " + stubbornSent + ")");
				result.measure("workers replaced", status.recycled() + " recycled, " + status.timedOut()
						+ " by heartbeat timeout");
			}
			comparePercentiles(result, baseline, underFault, allowedRatio);
			if (context.isShort()) {
				result.note("short mode: background p99 under fault fails only above 5x the baseline (+20 ms); full mode: 2x");
			}
		}
	}

	private static void comparePercentiles(ScenarioResult result, LoadWindow baseline, LoadWindow underFault,
			double allowedRatio) {
		for (RequestSpec spec : List.of(RequestSpec.HELLO, RequestSpec.WORK_10MS)) {
			LatencyHistogram before = baseline.latency(spec);
			LatencyHistogram during = underFault.latency(spec);
			double p99Before = before.percentileMillis(99);
			double p99During = during.percentileMillis(99);
			double bound = allowedRatio * p99Before + P99_FLOOR_MILLIS;
			result.measure("p99 " + spec.name(), String.format("%.1f ms -> %.1f ms under hangs (%.2fx; bound %.0fx + %.0f ms = %.1f ms)",
					p99Before, p99During, p99During / p99Before, allowedRatio, P99_FLOOR_MILLIS, bound));
			result.require(before.count() > 0 && during.count() > 0, "background answers before and during the hangs",
					before.count() + " / " + during.count());
			result.require(p99During <= bound, "background p99 of " + spec.name() + " under hangs <= " + allowedRatio
					+ " x baseline + " + P99_FLOOR_MILLIS + " ms", String.format("%.1f ms (baseline %.1f ms)", p99During, p99Before));
		}
	}

}
