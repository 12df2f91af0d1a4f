package dev.prefork.server;

/**
 * Told what the arbiter does to its workers, on the arbiter's thread (or the thread that starts
 * or stops the server). Implementations must be quick and must not block; an exception is logged
 * and otherwise ignored.
 */
public interface ArbiterListener {

	/** A worker booted and takes traffic. */
	default void workerBooted(Worker worker) {
	}

	/** A worker failed to boot. */
	default void workerBootFailed(int workerId, Throwable failure) {
	}

	/** A worker stopped taking requests and is being replaced or removed, for the given reason. */
	default void workerRetiring(Worker worker, Worker.ExitReason reason) {
	}

	/** A worker's threads have ended (or been abandoned) and it is gone. */
	default void workerExited(Worker worker, Worker.ExitReason reason) {
	}

}
