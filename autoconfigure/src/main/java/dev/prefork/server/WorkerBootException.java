package dev.prefork.server;

/**
 * A worker could not boot. At startup it fails the server (start is all-or-nothing); at run
 * time repeated failures halt the arbiter instead of respawning forever.
 */
public class WorkerBootException extends RuntimeException {

	WorkerBootException(String message, Throwable cause) {
		super(message, cause);
	}

}
