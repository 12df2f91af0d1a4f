package dev.prefork.server;

import java.time.Duration;

/**
 * Callbacks around every request that a worker runs (gunicorn's {@code pre_request} and
 * {@code post_request}), to log or measure without patching the server. {@code preRequest} runs on
 * the worker thread just before the application; {@code postRequest} on the thread that ends the
 * request: the application's (a worker thread, or wherever its reactive code completes), the
 * arbiter's for a request timeout or an aborted worker (after the 503 is on its way), or an event
 * loop for a request whose client left. Hooks must therefore be quick and must not block. An
 * exception from a hook is logged and does not affect the request.
 */
public interface RequestHook {

	default void preRequest(Request request) {
	}

	default void postRequest(Request request, int status, Duration elapsed) {
	}

	/**
	 * What a hook is told about a request: never headers, body or query string.
	 *
	 * @param workerId the worker running it
	 * @param method the request method
	 * @param path the request path, without the query string
	 */
	record Request(int workerId, String method, String path) {
	}

}
