package dev.prefork.autoconfigure.metrics;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ApplicationListener;

import dev.prefork.metrics.PreforkMetricsBinder;
import dev.prefork.server.PreforkWebServer;

/**
 * Owns the application's {@link PreforkMetricsBinder}: binds it to the main server once the
 * application has started (a management server has its own context) and removes its meters when
 * the context is destroyed, after the server stopped, so that they stay visible while it drains.
 * The binder is deliberately not a bean itself: {@code ArbiterListener} beans may be handed to the
 * factory as well, and this one must be given to it exactly once, by the customizer.
 */
final class PreforkMetricsBinding
		implements ApplicationListener<ApplicationStartedEvent>, ApplicationContextAware, DisposableBean {

	private final PreforkMetricsBinder binder;

	private ApplicationContext applicationContext;

	PreforkMetricsBinding(MeterRegistry registry) {
		this.binder = new PreforkMetricsBinder(registry);
	}

	PreforkMetricsBinder binder() {
		return this.binder;
	}

	@Override
	public void setApplicationContext(ApplicationContext applicationContext) {
		this.applicationContext = applicationContext;
	}

	@Override
	public void onApplicationEvent(ApplicationStartedEvent event) {
		// A child context's event reaches the parent's listeners too: only bind our own server.
		if (event.getApplicationContext() == this.applicationContext
				&& this.applicationContext instanceof WebServerApplicationContext context
				&& context.getWebServer() instanceof PreforkWebServer server) {
			this.binder.bindTo(server);
		}
	}

	@Override
	public void destroy() {
		this.binder.close();
	}

}
