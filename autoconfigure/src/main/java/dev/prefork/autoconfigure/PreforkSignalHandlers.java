package dev.prefork.autoconfigure;

import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;

import dev.prefork.server.Arbiter;
import dev.prefork.server.PreforkWebServer;

/**
 * gunicorn's signals for the JVM: {@code SIGTTIN} adds a worker, {@code SIGTTOU} removes one,
 * {@code SIGHUP} recycles them all. A signal the JVM will not hand over is logged and skipped.
 */
final class PreforkSignalHandlers implements InitializingBean, DisposableBean {

	private static final Log logger = LogFactory.getLog(PreforkSignalHandlers.class);

	private final Supplier<PreforkWebServer> server;

	private volatile boolean active;

	PreforkSignalHandlers(Supplier<PreforkWebServer> server) {
		this.server = server;
	}

	@Override
	public void afterPropertiesSet() {
		this.active = true;
		handle("TTIN", (arbiter) -> arbiter.scaleBy(1));
		handle("TTOU", (arbiter) -> arbiter.scaleBy(-1));
		handle("HUP", Arbiter::recycleAll);
	}

	private void handle(String name, Consumer<Arbiter> action) {
		try {
			SignalHandler previous = Signal.handle(new Signal(name), (signal) -> {
				PreforkWebServer server = this.server.get();
				if (this.active && server != null) {
					logger.info("Handling signal: " + name.toLowerCase(Locale.ROOT));
					action.accept(server.getArbiter());
				}
			});
			if (previous == SignalHandler.SIG_IGN) {
				// The JVM keeps a signal ignored that the process was started ignoring (nohup
				// does this to SIGHUP), and installs nothing: say so, or the signal is lost unseen.
				logger.warn("SIG" + name + " is ignored by this process (it was started ignoring it, as nohup does), "
						+ "so Prefork cannot handle it; use the prefork actuator endpoint instead");
			}
		}
		catch (IllegalArgumentException | UnsupportedOperationException ex) {
			logger.warn("Cannot handle SIG" + name + " on this JVM: " + ex.getMessage());
		}
	}

	@Override
	public void destroy() {
		// Handlers stay installed (the JVM cannot restore the default for every signal) but go quiet.
		this.active = false;
	}

}
