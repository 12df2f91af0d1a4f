package dev.prefork.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

import dev.prefork.process.WorkerCommand;
import dev.prefork.server.PreforkReactiveWebServerFactory;
import dev.prefork.server.ProcessWorker;

/**
 * In a worker JVM of process mode (the arbiter put its control socket in the environment): the
 * server serves on the arbiter's listening socket with one in-JVM worker of
 * {@code prefork.threads} threads, and leaves the heartbeat timeout and recycling to the arbiter,
 * which can do what a JVM cannot do to its own threads: kill them, and free all they hold.
 */
class ProcessWorkerCustomizer implements WebServerFactoryCustomizer<PreforkReactiveWebServerFactory>, Ordered {

	private final Environment environment;

	ProcessWorkerCustomizer(Environment environment) {
		this.environment = environment;
	}

	/** After {@link PreforkReactiveWebServerFactoryCustomizer}, whose workers and timeout it overrides. */
	@Override
	public int getOrder() {
		return 3;
	}

	@Override
	public void customize(PreforkReactiveWebServerFactory factory) {
		String controlSocket = this.environment.getProperty(WorkerCommand.CONTROL_SOCKET);
		if (controlSocket == null) {
			return;
		}
		int id = this.environment.getProperty(WorkerCommand.WORKER_ID, Integer.class, 1);
		boolean sharesManagementSocket = this.environment.getProperty(WorkerCommand.MANAGEMENT_SOCKET) != null;
		String scoreboard = this.environment.getProperty(WorkerCommand.SCOREBOARD);
		int slot = this.environment.getProperty(WorkerCommand.SLOT, Integer.class, 0);
		factory.setProcessWorker(new ProcessWorker(Path.of(controlSocket), id, sharesManagementSocket,
				(scoreboard != null) ? Path.of(scoreboard) : null, slot));
		factory.setWorkers(1);
		factory.setTimeout(Duration.ZERO);
		// Recycling replaces the whole JVM, which the arbiter decides; here it would only
		// replace the thread pool.
		factory.setMaxRequests(0);
		factory.setMaxWorkerLifetime(null);
	}

}
