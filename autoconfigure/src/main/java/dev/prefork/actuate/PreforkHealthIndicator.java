package dev.prefork.actuate;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import dev.prefork.process.ProcessView;
import dev.prefork.server.PreforkWebServer;

/**
 * Health of the worker pool: DOWN when no worker is alive, UP otherwise, with the alive and target
 * worker counts and the saturation (busy threads plus queued requests over threads plus queue
 * capacity) as details. In process mode the whole server's, whichever worker JVM answers: DOWN
 * also when the process arbiter sees no worker JVM ready, and a {@code processes} detail with
 * the ready and target worker JVMs, their mean saturation and the accept queue.
 */
public class PreforkHealthIndicator extends AbstractHealthIndicator {

	private final Supplier<PreforkWebServer> server;

	public PreforkHealthIndicator(Supplier<PreforkWebServer> server) {
		super("Prefork health check failed");
		this.server = server;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		PreforkWebServer server = this.server.get();
		if (server == null) {
			builder.unknown().withDetail("reason", "server not started");
			return;
		}
		int alive = server.getArbiter().getActiveWorkers().size();
		ProcessView processes = server.getProcessView();
		boolean up = alive > 0 && (processes == null || processes.readyWorkers() > 0);
		builder.status(up ? Status.UP : Status.DOWN)
			.withDetail("alive", alive)
			.withDetail("target", server.getArbiter().getTargetWorkers())
			.withDetail("saturation", server.getArbiter().getSaturation());
		if (processes != null) {
			Map<String, Object> whole = new LinkedHashMap<>();
			whole.put("ready", processes.readyWorkers());
			whole.put("target", processes.target());
			whole.put("saturation", processes.saturation());
			// The one kernel queue every worker JVM takes from: what this one reads is the server's.
			whole.put("acceptQueue", server.getAcceptQueueLength());
			builder.withDetail("processes", whole);
		}
	}

}
