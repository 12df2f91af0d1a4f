package dev.prefork.server;

/**
 * Runs once for every worker that boots, before it takes traffic (gunicorn's
 * {@code post_worker_init}). A worker whose initializer throws failed to boot: at startup that
 * fails the server, later the arbiter retries and halts on a crash loop.
 */
@FunctionalInterface
public interface WorkerInitializer {

	/** The initializer that does nothing. */
	WorkerInitializer NONE = (workerId) -> {
	};

	/**
	 * Prepares a worker.
	 * @param workerId the worker's slot number, 1-based
	 * @throws Exception to fail the worker's boot
	 */
	void initialize(int workerId) throws Exception;

}
