package dev.prefork.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

import dev.prefork.server.PreforkReactiveWebServerFactory;
import dev.prefork.server.PreforkWebServer;

/**
 * Sizes the server Boot creates for the actuator on a port of its own
 * ({@code management.server.port}). Boot builds it from the application's factory class with no
 * settings, which would give it as many workers and threads as a default Prefork server; it serves
 * only probes, scrapes and the endpoint, so it gets the management lane's size instead: one worker
 * of {@code prefork.management-threads} threads (at least one). Limits and timeouts are the
 * application server's. Applies only when that server is Prefork (the customizer's type).
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
class PreforkManagementChildContextConfiguration {

	/** Requests that may wait for one of the management server's threads, as on the lane. */
	static final int QUEUE_CAPACITY = 16;

	@Bean
	PreforkManagementServerCustomizer preforkManagementServerCustomizer(ObjectProvider<PreforkProperties> properties,
			ObjectProvider<PreforkServerHolder> holder) {
		return new PreforkManagementServerCustomizer(properties.getIfAvailable(), holder.getIfAvailable());
	}

	@Bean
	MaxHttpRequestHeaderSizeCustomizer preforkManagementMaxHttpRequestHeaderSizeCustomizer(Environment environment) {
		return new MaxHttpRequestHeaderSizeCustomizer(environment);
	}

	@Bean
	ForwardHeadersCustomizer preforkManagementForwardHeadersCustomizer(ServerProperties serverProperties,
			Environment environment) {
		// As Boot's Netty management server, which applies server.forward-headers-strategy too.
		return new ForwardHeadersCustomizer(serverProperties, environment);
	}

	static final class PreforkManagementServerCustomizer
			implements WebServerFactoryCustomizer<PreforkReactiveWebServerFactory>, Ordered {

		private final PreforkProperties properties;

		private final @Nullable PreforkServerHolder holder;

		PreforkManagementServerCustomizer(@Nullable PreforkProperties properties, @Nullable PreforkServerHolder holder) {
			this.properties = (properties != null) ? properties : new PreforkProperties();
			this.holder = holder;
		}

		/**
		 * After Boot's management customizer, so that {@code prefork.server-header} wins as on the
		 * main port, and before {@link MaxHttpRequestHeaderSizeCustomizer}, as there.
		 */
		@Override
		public int getOrder() {
			return 1;
		}

		@Override
		public void customize(PreforkReactiveWebServerFactory factory) {
			new PreforkReactiveWebServerFactoryCustomizer(this.properties, false).customize(factory);
			factory.setManagementServer(true);
			factory.setWorkers(1);
			factory.setThreads(Math.max(1, this.properties.getManagementThreads()));
			factory.setQueueCapacity(QUEUE_CAPACITY);
			factory.setMaxInFlight(null);
			factory.setIoThreads(1);
			// Recycling is for application code; the management server runs the actuator's only.
			factory.setMaxRequests(0);
			factory.setMaxWorkerLifetime(null);
			// Scrapes and probes every few seconds would drown the application's lines, and its
			// worker 1 would read as the application's.
			factory.setAccessLogEnabled(false);
			// Process mode: every worker JVM's management server serves on the socket the arbiter
			// shares, as its application server does (the application's server is started first).
			PreforkWebServer application = (this.holder != null) ? this.holder.server() : null;
			if (application != null && application.getManagementSocket() != null) {
				factory.setInheritedListener(application::getManagementSocket);
			}
		}

	}

}
