package dev.prefork.faults.scenario;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.prefork.faults.app.Actuator;
import dev.prefork.faults.app.PreforkStatus;
import dev.prefork.faults.app.SampleApp;
import dev.prefork.faults.http.HttpResponse;
import dev.prefork.faults.load.BackgroundLoad;
import dev.prefork.faults.load.LoadWindow;
import dev.prefork.faults.load.RequestSpec;
import dev.prefork.faults.load.ResponsePolicy;

/**
 * Workers come and go all the time: every few seconds the actuator scales up, scales down, scales
 * to an exact number, recycles one worker or all of them, while {@code max-requests=500} recycles
 * each worker every couple of seconds on its own. Not one background request may fail.
 */
final class ChurnScenario implements Scenario {

	private static final int WORKERS = 2;

	/** The operator actions, in turn; the list ends where it began (two workers). */
	private static final List<Action> ACTIONS = List.of(new Action("scale +1", (actuator) -> actuator.scaleBy(1)),
			new Action("recycle all", Actuator::recycleAll), new Action("scale -1", (actuator) -> actuator.scaleBy(-1)),
			new Action("scale to 4", (actuator) -> actuator.scaleTo(4)),
			new Action("recycle worker 1", (actuator) -> actuator.recycle(1)),
			new Action("recycle all", Actuator::recycleAll),
			new Action("scale to " + WORKERS, (actuator) -> actuator.scaleTo(WORKERS)));

	@Override
	public String name() {
		return "churn";
	}

	@Override
	public void run(ScenarioContext context, ScenarioResult result) throws Exception {
		Duration every = context.pick(Duration.ofSeconds(1), Duration.ofSeconds(3));
		Duration duration = context.pick(Duration.ofSeconds(7), Duration.ofSeconds(90));
		result.injected("every " + every.toMillis() + " ms one of: scale +1, -1, to 4, to 2, recycle one, recycle all "
				+ "(actuator POSTs) for " + duration.toSeconds() + " s; plus max-requests=500 (jitter 50)");
		try (SampleApp app = context.startApp(name(), "--prefork.workers=" + WORKERS, "--prefork.max-requests=500",
				"--prefork.max-requests-jitter=50")) {
			BackgroundLoad background = context.startBackground(app, ResponsePolicy.STRICT);
			ScenarioContext.pause(Duration.ofSeconds(2));
			PreforkStatus before = app.actuator().prefork();
			LoadWindow churn = background.beginPhase("churn");
			Map<String, Integer> actionsDone = new LinkedHashMap<>();
			int failedActions = 0;
			long deadline = System.nanoTime() + duration.toNanos();
			for (int i = 0; System.nanoTime() < deadline || i % ACTIONS.size() != 0; i++) {
				Action action = ACTIONS.get(i % ACTIONS.size());
				HttpResponse response = action.apply(app.actuator());
				actionsDone.merge(action.name(), 1, Integer::sum);
				if (!result.require(response.status() == 200, "actuator '" + action.name() + "' answered 200",
						response.status() + " " + response.bodyText())) {
					failedActions++;
				}
				ScenarioContext.pause(every);
			}
			background.beginPhase("after churn");
			ScenarioContext.pause(Duration.ofSeconds(2));
			background.stop();
			result.background(background.total());

			PreforkStatus after = ScenarioContext.requireHealthy(app, result, Duration.ofSeconds(20));
			if (after != null) {
				long recycled = after.recycled() - before.recycled();
				result.require(after.targetWorkers() == WORKERS, WORKERS + " workers wanted at the end", after.targetWorkers());
				long byMaxRequests = app.countLogLines((line) -> line.contains("Recycling worker") && line.contains("(served "));
				result.require(byMaxRequests > 0, "workers recycled by max-requests too", byMaxRequests);
				result.measure("workers", String.format("%d spawned, %d recycled (%d of them by max-requests)",
						after.spawned() - before.spawned(), recycled, byMaxRequests));
			}
			result.measure("operator actions", actionsDone.values().stream().mapToInt(Integer::intValue).sum() + " "
					+ actionsDone + ", " + failedActions + " failed");
			result.measure("background during churn", churn.summary() + String.format(", p99 /hello %.1f ms, /work %.1f ms",
					churn.latency(RequestSpec.HELLO).percentileMillis(99), churn.latency(RequestSpec.WORK_10MS).percentileMillis(99)));
		}
	}

	/** One operator action through the actuator. */
	private record Action(String name, Call call) {

		HttpResponse apply(Actuator actuator) throws IOException {
			return this.call.apply(actuator);
		}

	}

	@FunctionalInterface
	private interface Call {

		HttpResponse apply(Actuator actuator) throws IOException;

	}

}
