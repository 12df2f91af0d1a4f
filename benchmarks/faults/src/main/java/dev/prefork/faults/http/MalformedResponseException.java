package dev.prefork.faults.http;

import java.io.IOException;

/** Bytes arrived that are not a well-formed HTTP/1.x response. */
public final class MalformedResponseException extends IOException {

	MalformedResponseException(String message) {
		super(message);
	}

}
