package dev.prefork.faults.http;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Locale;

/** How a request failed below HTTP: the kinds a report needs to tell apart. */
public enum TransportFailure {

	REFUSED("connection refused"),

	TIMEOUT("no answer within the client timeout"),

	CLOSED_BEFORE_RESPONSE("connection closed before any response"),

	CLOSED_MID_RESPONSE("connection closed mid-response"),

	RESET("connection reset"),

	MALFORMED_RESPONSE("malformed response"),

	OTHER("other I/O error");

	private final String description;

	TransportFailure(String description) {
		this.description = description;
	}

	public String description() {
		return this.description;
	}

	public static TransportFailure of(IOException failure) {
		if (failure instanceof ConnectException) {
			return REFUSED;
		}
		if (failure instanceof SocketTimeoutException) {
			return TIMEOUT;
		}
		if (failure instanceof NoResponseException) {
			return CLOSED_BEFORE_RESPONSE;
		}
		if (failure instanceof EOFException) {
			return CLOSED_MID_RESPONSE;
		}
		if (failure instanceof MalformedResponseException) {
			return MALFORMED_RESPONSE;
		}
		String message = String.valueOf(failure.getMessage()).toLowerCase(Locale.ROOT);
		if (failure instanceof SocketException && (message.contains("reset") || message.contains("broken pipe"))) {
			return RESET;
		}
		return OTHER;
	}

}
