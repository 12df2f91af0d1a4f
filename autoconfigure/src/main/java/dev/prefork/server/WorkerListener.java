package dev.prefork.server;

/**
 * What a worker tells its arbiter. Calls arrive on worker or event-loop threads, so an
 * implementation only records the news and lets the arbiter act on its own thread; only
 * {@link #adopt} acts at once, and only on the workers already published.
 */
interface WorkerListener {

	/** The worker served its quota of requests and should be recycled. */
	void maxRequestsReached(Worker worker);

	/** A draining worker has no request left in flight. */
	void drained(Worker worker);

	/** One of the worker's threads did not come back from a timed-out request. */
	void threadAbandoned(Worker worker);

	/**
	 * Runs a continuation of a request whose worker's threads have gone, on a worker that takes
	 * requests.
	 * @return {@code false} when no worker can
	 */
	boolean adopt(Runnable continuation);

}
