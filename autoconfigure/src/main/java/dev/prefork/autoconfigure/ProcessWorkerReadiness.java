package dev.prefork.autoconfigure;

import java.time.Duration;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringApplicationRunListener;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;

import dev.prefork.server.PreforkWebServer;

/**
 * A worker JVM of process mode takes connections from the sockets its arbiter shares only while
 * Spring has it accepting traffic, so that its readiness probe, on a shared management port,
 * never answers {@code OUT_OF_SERVICE} for one worker starting or leaving while the others serve:
 * <ul>
 * <li>It starts accepting, and tells the arbiter it is ready, once the application is: its
 * runners done and its readiness {@code ACCEPTING_TRAFFIC}. Spring's own run listener publishes
 * that after {@code ApplicationReadyEvent}'s listeners, so this one comes after it.
 * <li>It stops accepting on the context's {@code REFUSING_TRAFFIC} (its closing, or the
 * application saying so), the first to hear it, before the availability bean records it; and
 * accepts again on a later {@code ACCEPTING_TRAFFIC}. A saturated worker's refusal
 * ({@code prefork.health.saturation-readiness}) is the whole server's, not this JVM's: it is
 * left alone.
 * </ul>
 * In thread mode, and without Prefork's server, it does nothing.
 */
final class ProcessWorkerReadiness implements SpringApplicationRunListener, Ordered {

	ProcessWorkerReadiness(SpringApplication application, String[] args) {
	}

	@Override
	public int getOrder() {
		// After Boot's EventPublishingRunListener (order 0), which makes the application ready.
		return 1;
	}

	@Override
	public void contextPrepared(ConfigurableApplicationContext context) {
		context.addApplicationListener(new Refusing(context));
	}

	@Override
	public void ready(ConfigurableApplicationContext context, Duration timeTaken) {
		PreforkWebServer server = server(context);
		if (server != null) {
			server.reportReady();
		}
	}

	private static PreforkWebServer server(ApplicationContext context) {
		PreforkServerHolder holder = context.getBeanProvider(PreforkServerHolder.class).getIfAvailable();
		return (holder != null) ? holder.server() : null;
	}

	/** Follows the context's readiness, not a saturated worker's ({@link SaturationReadiness}). */
	private static final class Refusing implements ApplicationListener<AvailabilityChangeEvent<?>>, Ordered {

		private final ApplicationContext context;

		Refusing(ApplicationContext context) {
			this.context = context;
		}

		@Override
		public int getOrder() {
			return Ordered.HIGHEST_PRECEDENCE;
		}

		@Override
		public void onApplicationEvent(AvailabilityChangeEvent<?> event) {
			// The management server's child context closing says so too, with itself as source.
			if (!(event.getSource() instanceof ApplicationContext)) {
				return;
			}
			PreforkWebServer server = server(this.context);
			if (server == null) {
				return;
			}
			if (event.getState() == ReadinessState.REFUSING_TRAFFIC) {
				server.refusingTraffic();
			}
			else if (event.getState() == ReadinessState.ACCEPTING_TRAFFIC) {
				// Spring's first one, before this JVM has been ready, changes nothing.
				server.acceptingTraffic();
			}
		}

	}

}
