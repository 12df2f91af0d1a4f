package dev.prefork.autoconfigure;

import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;

import dev.prefork.server.PreforkWebServer;
import dev.prefork.server.RequestOutcomes;

/**
 * Remembers the application's running {@link PreforkWebServer} (not a management server's), for
 * the beans that report on it.
 */
public final class PreforkServerHolder implements ApplicationListener<WebServerInitializedEvent> {

	private volatile PreforkWebServer server;

	@Override
	public void onApplicationEvent(WebServerInitializedEvent event) {
		String namespace = event.getApplicationContext().getServerNamespace();
		if (namespace == null && event.getWebServer() instanceof PreforkWebServer prefork) {
			this.server = prefork;
		}
	}

	/** The running server, or {@code null} before it started. */
	public PreforkWebServer server() {
		return this.server;
	}

	RequestOutcomes requestOutcomes() {
		PreforkWebServer server = this.server;
		return (server != null) ? server.getRequestOutcomes() : null;
	}

}
