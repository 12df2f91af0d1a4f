package dev.prefork.faults.scenario;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.prefork.faults.app.PreforkStatus;
import dev.prefork.faults.app.SampleApp;
import dev.prefork.faults.load.BackgroundLoad;
import dev.prefork.faults.load.LoadShape;
import dev.prefork.faults.load.ResponsePolicy;

/**
 * What every scenario needs: the run's mode (short for CI, full for the report), the sample
 * application's jar, where logs go, the conformance corpus, and a few shared steps (start an
 * app, start the background load, wait for the server to settle).
 */
public final class ScenarioContext {

	/** Short: every scenario shortened so that a run fits in CI (< 3 min). Full: real durations. */
	public enum Mode {

		SHORT, FULL

	}

	/** Longest wait for the actuator of a freshly started application to answer. */
	private static final Duration ACTUATOR_WARM_UP = Duration.ofSeconds(30);

	private final Mode mode;

	private final Duration soak;

	private final Path jar;

	private final Path logs;

	private final Path conformance;

	private final boolean sabotage;

	/**
	 * @param sabotage point the background load at a closed port, to prove that every scenario
	 * can fail
	 */
	public ScenarioContext(Mode mode, Duration soak, Path jar, Path logs, Path conformance, boolean sabotage) {
		this.mode = mode;
		this.soak = soak;
		this.jar = jar;
		this.logs = logs;
		this.conformance = conformance;
		this.sabotage = sabotage;
	}

	/** The sample app's jar under test. */
	public Path jar() {
		return this.jar;
	}

	public boolean isShort() {
		return this.mode == Mode.SHORT;
	}

	public Duration pick(Duration shortRun, Duration fullRun) {
		return isShort() ? shortRun : fullRun;
	}

	public int pick(int shortRun, int fullRun) {
		return isShort() ? shortRun : fullRun;
	}

	public Duration soak() {
		return this.soak;
	}

	public Path conformance() {
		return this.conformance;
	}

	/**
	 * A fresh sample application for one scenario, with that scenario's properties, started and
	 * answering on its actuator.
	 */
	public SampleApp startApp(String scenario, String... properties) throws IOException, InterruptedException {
		return startApp(this.jar, scenario, properties);
	}

	/** The same, from another copy of the sample app's jar (one a scenario replaces while it runs). */
	public SampleApp startApp(Path jar, String scenario, String... properties) throws IOException, InterruptedException {
		SampleApp app = SampleApp.start(jar, this.logs.resolve(scenario + ".log"), List.of(properties));
		try {
			awaitActuator(app, ACTUATOR_WARM_UP);
			return app;
		}
		catch (IOException | InterruptedException | RuntimeException ex) {
			app.close();
			throw ex;
		}
	}

	/**
	 * Waits until the actuator answers a few times in a row. Its first answers load and compile a
	 * lot of code; with a 1 s request timeout (the hung-handlers scenario) a cold first call can run
	 * past it on a busy 2-core machine, and the scenario would then read the server's state from a
	 * refused request instead of from the server.
	 */
	private static void awaitActuator(SampleApp app, Duration timeout) throws IOException, InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		int answeredInARow = 0;
		IOException last = null;
		while (answeredInARow < 3) {
			try {
				app.actuator().prefork();
				answeredInARow = app.actuator().readiness().isUp() ? answeredInARow + 1 : 0;
			}
			catch (IOException ex) {
				answeredInARow = 0;
				last = ex;
			}
			if (System.nanoTime() > deadline) {
				throw new IOException("actuator not answering " + timeout.toSeconds() + " s after start", last);
			}
		}
	}

	/** The standard background load (/hello and /work?ms=10) on {@code app}. */
	public BackgroundLoad startBackground(SampleApp app, ResponsePolicy policy) throws IOException {
		return BackgroundLoad.start("background", backgroundTarget(app), LoadShape.background(), policy);
	}

	private InetSocketAddress backgroundTarget(SampleApp app) throws IOException {
		if (!this.sabotage) {
			return app.address();
		}
		try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			return new InetSocketAddress("127.0.0.1", socket.getLocalPort()); // closed once this returns
		}
	}

	/**
	 * Waits until the server, with the load stopped, has nothing left over from the faults: every
	 * worker alive and active, nothing queued, nothing in flight or busy but the status request
	 * itself. Returns the last status read.
	 */
	public static PreforkStatus awaitIdle(SampleApp app, Duration timeout) throws IOException, InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		PreforkStatus status = app.actuator().prefork();
		while (!status.isIdle() && System.nanoTime() < deadline) {
			Thread.sleep(100);
			status = app.actuator().prefork();
		}
		return status;
	}

	/**
	 * Checks, once the load has stopped, that the server came through: the process is alive, the
	 * workers went back to idle (no stuck worker, queues at 0) and readiness is UP.
	 */
	public static PreforkStatus requireHealthy(SampleApp app, ScenarioResult result, Duration idleTimeout)
			throws IOException, InterruptedException {
		if (!result.require(app.isAlive(), "the server process alive", "exited")) {
			return null;
		}
		PreforkStatus status = awaitIdle(app, idleTimeout);
		result.require(status.isIdle(), "workers idle again (all alive and active, queues at 0, nothing in flight) within "
				+ idleTimeout.toSeconds() + "s", status.describe());
		var readiness = app.actuator().readiness();
		result.require(readiness.isUp(), "readiness UP", readiness);
		return status;
	}

	public static void pause(Duration duration) throws InterruptedException {
		Thread.sleep(duration.toMillis());
	}

}
