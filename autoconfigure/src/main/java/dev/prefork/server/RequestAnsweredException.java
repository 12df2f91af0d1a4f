package dev.prefork.server;

/**
 * Fails the commit of a response whose request the server has already answered (it timed out,
 * its worker was stopped, or its client left): the application's answer comes too late, and
 * nothing of it is sent.
 */
public final class RequestAnsweredException extends RuntimeException {

	RequestAnsweredException() {
		// No stack trace: the server's own log line already says why the request was ended.
		super("The server has already answered this request", null, false, false);
	}

}
