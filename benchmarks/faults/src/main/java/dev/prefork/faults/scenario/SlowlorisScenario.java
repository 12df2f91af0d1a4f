package dev.prefork.faults.scenario;

import java.time.Duration;

import dev.prefork.faults.app.SampleApp;
import dev.prefork.faults.load.BackgroundLoad;
import dev.prefork.faults.load.LoadWindow;
import dev.prefork.faults.load.RequestSpec;
import dev.prefork.faults.load.ResponsePolicy;

/**
 * 500 connections dribbling a request head one byte every 500 ms ({@code header-timeout=2s}).
 * Every one must be dropped within the header timeout (+1.5 s of scheduling slack), never
 * answered with a success, while the background is served throughout.
 */
final class SlowlorisScenario implements Scenario {

	private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(2);

	private static final Duration SLACK = Duration.ofMillis(1500);

	private static final int CONNECTIONS = 500;

	private static final Duration DRIBBLE_INTERVAL = Duration.ofMillis(500);

	@Override
	public String name() {
		return "slowloris";
	}

	@Override
	public void run(ScenarioContext context, ScenarioResult result) throws Exception {
		Duration duration = context.pick(HEADER_TIMEOUT.plusSeconds(6), Duration.ofSeconds(60));
		boolean reopen = !context.isShort();
		result.injected(CONNECTIONS + " connections dribbling a request head (1 byte / " + DRIBBLE_INTERVAL.toMillis()
				+ " ms)" + (reopen ? ", each dropped one reopened at once, for " + duration.toSeconds() + " s" : ", one wave")
				+ "; header-timeout=" + HEADER_TIMEOUT.toSeconds() + "s");
		try (SampleApp app = context.startApp(name(), "--prefork.header-timeout=" + HEADER_TIMEOUT.toSeconds() + "s")) {
			BackgroundLoad background = context.startBackground(app, ResponsePolicy.STRICT);
			ScenarioContext.pause(Duration.ofSeconds(2));
			LoadWindow underAttack = background.beginPhase("slowloris");
			SlowlorisAttack attack = new SlowlorisAttack(app.address(), CONNECTIONS, DRIBBLE_INTERVAL);
			attack.run(duration, reopen);
			background.beginPhase("after");
			ScenarioContext.pause(Duration.ofSeconds(1));
			background.stop();
			result.background(background.total());

			long dropped = attack.lifetimes().count();
			double longest = attack.lifetimes().maxMillis();
			long bound = HEADER_TIMEOUT.plus(SLACK).toMillis();
			result.byDesign("slow connections dropped", dropped);
			result.require(attack.connectFailures() == 0, "every slow connection connected", attack.connectFailures()
					+ " failed to connect");
			result.require(attack.peakOpen() == CONNECTIONS, CONNECTIONS + " slow connections open at once",
					attack.peakOpen());
			result.require(reopen || attack.stillOpenAtEnd() == 0, "every slow connection dropped by the server",
					attack.stillOpenAtEnd() + " still open after " + duration.toSeconds() + " s");
			result.require(attack.oldestAtEndMillis() <= bound, "no slow connection alive longer than " + bound
					+ " ms when the attack ended", attack.oldestAtEndMillis() + " ms");
			result.require(longest <= bound, "every slow connection dropped within header-timeout + "
					+ SLACK.toMillis() + " ms = " + bound + " ms of its first byte", longest + " ms");
			result.require(attack.answers().keySet().stream().noneMatch((answer) -> answer.startsWith("status 2")),
					"no slow request answered with a success", attack.answers());
			result.measure("slow connections", String.format("%,d opened, %d at once, %,d dropped: %s", attack.opened(),
					attack.peakOpen(), dropped, attack.answers()));
			result.measure("time to drop", String.format("p50 %.0f ms, max %.0f ms after the first byte",
					attack.lifetimes().percentileMillis(50), longest));
			result.measure("background p99 under attack", String.format("/hello %.1f ms, /work %.1f ms",
					underAttack.latency(RequestSpec.HELLO).percentileMillis(99),
					underAttack.latency(RequestSpec.WORK_10MS).percentileMillis(99)));
			ScenarioContext.requireHealthy(app, result, Duration.ofSeconds(15));
		}
	}

}
