package dev.prefork.faults.scenario;

/**
 * One fault, injected into a fresh sample application under steady background load. A scenario
 * records what it injected, what it measured and which of its expectations held.
 */
public interface Scenario {

	/** Short name, used on the command line ({@code --only}) and in reports. */
	String name();

	void run(ScenarioContext context, ScenarioResult result) throws Exception;

}
