package dev.prefork.autoconfigure;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

import dev.prefork.server.PreforkWebServer;

/**
 * Reports a worker JVM of process mode ready to its arbiter once the application is ready:
 * runners included, so that an application that fails after its server started is a failed boot,
 * not a worker that died.
 */
final class ProcessWorkerReadiness implements ApplicationListener<ApplicationReadyEvent> {

	private final PreforkServerHolder holder;

	ProcessWorkerReadiness(PreforkServerHolder holder) {
		this.holder = holder;
	}

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		PreforkWebServer server = this.holder.server();
		if (server != null) {
			server.reportReady();
		}
	}

}
