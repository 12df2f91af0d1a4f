package dev.prefork.process;

import java.util.Map;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * gunicorn's signals, turned into arbiter commands; the arbiter's loop runs them. SIGQUIT is the
 * JVM's own (it prints the arbiter's threads), so a quick stop is SIGINT only.
 */
final class ArbiterSignals {

	private static final Log logger = LogFactory.getLog(ArbiterSignals.class);

	private static final Map<String, ProcessArbiter.Command> SIGNALS = Map.of("TERM", ProcessArbiter.Command.STOP,
			"INT", ProcessArbiter.Command.QUICK_STOP, "HUP",
			ProcessArbiter.Command.RESTART, "TTIN", ProcessArbiter.Command.SCALE_UP, "TTOU",
			ProcessArbiter.Command.SCALE_DOWN);

	private ArbiterSignals() {
	}

	static void install(Consumer<ProcessArbiter.Command> commands) {
		SIGNALS.forEach((name, command) -> {
			try {
				SignalHandler previous = Signal.handle(new Signal(name), (signal) -> {
					logger.info("Handling signal: " + name.toLowerCase(java.util.Locale.ROOT));
					commands.accept(command);
				});
				if (previous == SignalHandler.SIG_IGN) {
					// The JVM keeps a signal ignored that the process was started ignoring (nohup,
					// a shell's background job): say so, or SIGHUP deploys would be lost unseen.
					logger.warn("SIG" + name + " is ignored by this process (it was started ignoring it), so the "
							+ "arbiter cannot handle it; use the prefork actuator endpoint instead");
				}
			}
			catch (IllegalArgumentException | UnsupportedOperationException ex) {
				logger.warn("Cannot handle SIG" + name + " on this JVM: " + ex.getMessage());
			}
		});
	}

}
