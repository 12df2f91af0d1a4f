package dev.prefork.server;

import java.time.Duration;

/**
 * Everything the engine needs to know, resolved and validated once by the factory.
 *
 * @param workers workers to keep running
 * @param threads threads per worker
 * @param queueCapacity requests that may wait in one worker's queue for a free thread
 * @param backlog pending connections the kernel may hold for the listening socket
 * @param timeout how long a saturated worker may go without a heartbeat before it is replaced
 * @param requestTimeout longest a single request may take, or {@code null} for no limit
 * @param gracefulTimeout how long a draining worker (or a timed-out request's thread) gets to finish
 * @param maxRequests requests after which a worker is recycled, 0 to never recycle
 * @param maxRequestsJitter upper bound of the random amount added to {@code maxRequests} per worker
 * @param maxWorkerLifetime age after which a worker is recycled, or {@code null} for no limit
 * @param keepAlive how long an idle keep-alive connection is kept open
 * @param headerTimeout how long a client may take to send a complete request head
 * @param limitRequestLine longest request line accepted
 * @param limitRequestFields most header fields accepted in one request
 * @param limitRequestFieldSize longest header field line accepted
 * @param retryAfter value of the Retry-After header sent with 503 responses, or {@code null}
 * @param managementPathPrefix requests whose path starts with it run on the management lane, or
 * {@code null} for no lane
 * @param managementThreads threads of the management lane
 */
record ServerSettings(int workers, int threads, int queueCapacity, int backlog, Duration timeout,
		Duration requestTimeout, Duration gracefulTimeout, long maxRequests, long maxRequestsJitter,
		Duration maxWorkerLifetime, Duration keepAlive, Duration headerTimeout, int limitRequestLine,
		int limitRequestFields, int limitRequestFieldSize, Duration retryAfter, String managementPathPrefix,
		int managementThreads) {

	/** Requests that may wait for a management-lane thread; beyond it they get 503 like any other. */
	static final int MANAGEMENT_QUEUE_CAPACITY = 16;

	boolean hasManagementLane() {
		return this.managementPathPrefix != null && this.managementThreads > 0;
	}

	/** Whether a request target (origin-form) is for the management lane. */
	boolean isManagementRequest(String uri) {
		String prefix = this.managementPathPrefix;
		if (!uri.startsWith(prefix)) {
			return false;
		}
		if (uri.length() == prefix.length()) {
			return true;
		}
		char next = uri.charAt(prefix.length());
		return next == '/' || next == '?';
	}

}
