package dev.prefork.faults.scenario;

import java.util.List;

/** Every scenario, in the order the issue lists them. */
public final class Scenarios {

	private Scenarios() {
	}

	public static List<Scenario> all() {
		return List.of(new HungHandlersScenario(), new ExceptionStormScenario(), new ChurnScenario(),
				new SlowlorisScenario(), new OverloadScenario(), new GracefulShutdownScenario(),
				new MalformedTrafficScenario(), new SoakScenario(), new ProcessDeployScenario(false),
				new ProcessDeployScenario(true));
	}

}
