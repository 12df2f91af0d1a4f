package dev.prefork.faults.http;

import java.io.EOFException;

/**
 * The server closed the connection after the request was sent, before the first byte of a
 * response: the request was lost. (A browser or the JDK's HttpClient would quietly retry an
 * idempotent request here, which is exactly what this harness must not do.)
 */
public final class NoResponseException extends EOFException {

	NoResponseException() {
		super("connection closed before any response byte");
	}

}
