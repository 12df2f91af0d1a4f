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
 * <li>It stops accepting as its context starts closing: the first to hear the context's
 * {@code REFUSING_TRAFFIC}, before the availability bean records it.
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
		context.addApplicationListener(new Leaving(context));
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

	/** Stops accepting on the context's {@code REFUSING_TRAFFIC}, not on a saturated worker's. */
	private static final class Leaving implements ApplicationListener<AvailabilityChangeEvent<?>>, Ordered {

		private final ApplicationContext context;

		Leaving(ApplicationContext context) {
			this.context = context;
		}

		@Override
		public int getOrder() {
			return Ordered.HIGHEST_PRECEDENCE;
		}

		@Override
		public void onApplicationEvent(AvailabilityChangeEvent<?> event) {
			// The management server's child context closing says so too, with itself as source.
			if (event.getState() == ReadinessState.REFUSING_TRAFFIC && event.getSource() instanceof ApplicationContext) {
				PreforkWebServer server = server(this.context);
				if (server != null) {
					server.leaveSharedSockets();
				}
			}
		}

	}

}
