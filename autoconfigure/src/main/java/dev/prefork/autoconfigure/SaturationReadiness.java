package dev.prefork.autoconfigure;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

import dev.prefork.process.ProcessView;
import dev.prefork.server.PreforkWebServer;

/**
 * Marks the application as refusing traffic (Boot's readiness state, which Kubernetes probes)
 * while its workers stay saturated, and as accepting again once they have drained, so that a
 * Service routes around an instance whose queues are full instead of piling 503s on it. In
 * process mode it judges the whole server (the worker JVMs' mean saturation, from the process
 * arbiter's view), so that every worker JVM answers the probe alike and one busy JVM does not
 * take the instance out while the others have room.
 */
final class SaturationReadiness implements SmartLifecycle {

	private static final Log logger = LogFactory.getLog(SaturationReadiness.class);

	private static final long CHECK_MILLIS = 250;

	private final Supplier<PreforkWebServer> server;

	private final double threshold;

	private final long windowNanos;

	private final ApplicationEventPublisher publisher;

	private ScheduledExecutorService checker;

	private long saturatedSince = -1;

	private long clearSince = -1;

	private boolean refusing;

	SaturationReadiness(Supplier<PreforkWebServer> server, double threshold, Duration window,
			ApplicationEventPublisher publisher) {
		this.server = server;
		this.threshold = threshold;
		this.windowNanos = window.toNanos();
		this.publisher = publisher;
	}

	@Override
	public synchronized void start() {
		this.checker = Executors.newSingleThreadScheduledExecutor((runnable) -> {
			Thread thread = new Thread(runnable, "prefork-readiness");
			thread.setDaemon(true);
			return thread;
		});
		this.checker.scheduleWithFixedDelay(this::check, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
	}

	@Override
	public synchronized void stop() {
		if (this.checker != null) {
			this.checker.shutdownNow();
			this.checker = null;
		}
	}

	@Override
	public synchronized boolean isRunning() {
		return this.checker != null;
	}

	private void check() {
		PreforkWebServer server = this.server.get();
		if (server == null) {
			return;
		}
		ProcessView processes = server.getProcessView();
		double saturation = (processes != null) ? processes.saturation() : server.getArbiter().getSaturation();
		long now = System.nanoTime();
		if (saturation >= this.threshold) {
			this.clearSince = -1;
			this.saturatedSince = (this.saturatedSince < 0) ? now : this.saturatedSince;
			if (!this.refusing && now - this.saturatedSince >= this.windowNanos) {
				this.refusing = true;
				logger.warn("Workers saturated (" + saturation + "); refusing traffic until they drain");
				AvailabilityChangeEvent.publish(this.publisher, this, ReadinessState.REFUSING_TRAFFIC);
			}
		}
		else {
			this.saturatedSince = -1;
			this.clearSince = (this.clearSince < 0) ? now : this.clearSince;
			if (this.refusing && now - this.clearSince >= this.windowNanos) {
				this.refusing = false;
				logger.info("Workers drained (" + saturation + "); accepting traffic again");
				AvailabilityChangeEvent.publish(this.publisher, this, ReadinessState.ACCEPTING_TRAFFIC);
			}
		}
	}

}
