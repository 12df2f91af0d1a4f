package dev.prefork.faults.scenario;

import java.time.Duration;
import java.util.List;

import dev.prefork.faults.app.Actuator.ExceptionsRing;
import dev.prefork.faults.app.ProcessProbe;
import dev.prefork.faults.app.SampleApp;
import dev.prefork.faults.load.BackgroundLoad;
import dev.prefork.faults.load.LoadShape;
import dev.prefork.faults.load.LoadWindow;
import dev.prefork.faults.load.RequestSpec;
import dev.prefork.faults.load.ResponsePolicy;

/**
 * 10,000 {@code /boom} in a minute (2,000 in 10 s in short mode) over four keep-alive connections.
 * Every one must be a 500 on a connection that stays usable (no reconnect), nothing else may fail,
 * and memory must stay flat: the live heap after a full GC barely moves and the exceptions ring
 * stays at its capacity.
 */
final class ExceptionStormScenario implements Scenario {

	private static final RequestSpec BOOM = RequestSpec.get("/boom", 500);

	private static final int STORM_CONNECTIONS = 4;

	/** Exceptions sent before the first heap measurement, so that lazily loaded classes are counted in both. */
	private static final int WARM_UP_EXCEPTIONS = 300;

	/** The sample's default {@code prefork.exceptions.capacity}. */
	private static final int RING_CAPACITY = 100;

	/** Live-heap growth allowed across the storm: far below what 10,000 retained exceptions would take. */
	private static final long HEAP_GROWTH_LIMIT_KB = 12 * 1024;

	@Override
	public String name() {
		return "exception-storm";
	}

	@Override
	public void run(ScenarioContext context, ScenarioResult result) throws Exception {
		int exceptions = context.pick(1_500, 10_000);
		Duration stormDuration = context.pick(Duration.ofSeconds(8), Duration.ofSeconds(60));
		result.injected(String.format("%,d GET /boom in %d s on %d keep-alive connections", exceptions,
				stormDuration.toSeconds(), STORM_CONNECTIONS));
		try (SampleApp app = context.startApp(name())) {
			ProcessProbe probe = new ProcessProbe(app.pid(), app.gcLog());
			BackgroundLoad background = context.startBackground(app, ResponsePolicy.STRICT);
			LoadWindow warmUpBooms = warmUp(app, WARM_UP_EXCEPTIONS, Duration.ofSeconds(2));
			result.require(warmUpBooms.failed() == 0, "warm-up /boom all answered 500", warmUpBooms.summary());
			long heapBefore = probe.heapAfterGcKb();
			long rssBefore = probe.sample(false).rssKb();

			long interval = STORM_CONNECTIONS * stormDuration.toMillis() / exceptions;
			LoadShape shape = new LoadShape(STORM_CONNECTIONS, Duration.ofMillis(interval), List.of(BOOM), exceptions);
			BackgroundLoad storm = BackgroundLoad.start("boom", app.address(), shape, ResponsePolicy.STRICT);
			boolean done = storm.awaitBudgetSpent(stormDuration.plusSeconds(60));
			storm.stop();
			LoadWindow boom = storm.total();

			long heapAfter = probe.heapAfterGcKb();
			long rssAfter = probe.sample(false).rssKb();
			ExceptionsRing ring = app.actuator().exceptions();
			background.stop();
			result.background(background.total());

			result.byDesign("/boom answered 500", boom.ok());
			result.require(done && boom.sent() == exceptions, exceptions + " /boom sent", boom.sent());
			result.require(boom.failed() == 0, "every /boom answered 500", boom.summary() + " " + boom.failureSamples());
			result.require(storm.connectionsOpened() == STORM_CONNECTIONS,
					"the connection reused after every 500 (" + STORM_CONNECTIONS + " connections for the whole storm)",
					storm.connectionsOpened() + " connections opened");
			result.require(ring.kept() <= RING_CAPACITY, "exceptions ring bounded at " + RING_CAPACITY, ring.kept());
			result.require(ring.total() >= exceptions + WARM_UP_EXCEPTIONS, "every exception counted",
					ring.total() + " counted");
			long growth = heapAfter - heapBefore;
			result.require(growth <= HEAP_GROWTH_LIMIT_KB, "live heap growth <= " + HEAP_GROWTH_LIMIT_KB / 1024 + " MB",
					growth / 1024 + " MB");
			result.measure("storm", String.format("%,d x 500 in %.1f s (%.0f/s), %d connections", boom.ok(), boom.seconds(),
					boom.rate(), storm.connectionsOpened()));
			result.measure("heap after GC", String.format("%.1f MB -> %.1f MB (%+.1f MB)", heapBefore / 1024.0,
					heapAfter / 1024.0, growth / 1024.0));
			result.measure("RSS", String.format("%.0f MB -> %.0f MB", rssBefore / 1024.0, rssAfter / 1024.0));
			result.measure("exceptions ring", ring.kept() + " kept of " + ring.total() + " seen, " + ring.types() + " type(s)");
			ScenarioContext.requireHealthy(app, result, Duration.ofSeconds(15));
		}
	}

	/** A few exceptions first, so that the classes their handling loads are in both heap readings. */
	private static LoadWindow warmUp(SampleApp app, int count, Duration within) throws InterruptedException {
		long interval = Math.max(1, 2 * within.toMillis() / count);
		LoadShape shape = new LoadShape(2, Duration.ofMillis(interval), List.of(BOOM), count);
		BackgroundLoad load = BackgroundLoad.start("boom-warm-up", app.address(), shape, ResponsePolicy.STRICT);
		load.awaitBudgetSpent(within.plusSeconds(60));
		load.stop();
		return load.total();
	}

}
