package dev.prefork.actuate;

import java.util.function.Supplier;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import dev.prefork.server.PreforkWebServer;

/**
 * Health of the worker pool: DOWN when no worker is alive, UP otherwise, with the alive and target
 * worker counts and the saturation (busy threads plus queued requests over threads plus queue
 * capacity) as details.
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
		builder.status((alive == 0) ? Status.DOWN : Status.UP)
			.withDetail("alive", alive)
			.withDetail("target", server.getArbiter().getTargetWorkers())
			.withDetail("saturation", server.getArbiter().getSaturation());
	}

}
