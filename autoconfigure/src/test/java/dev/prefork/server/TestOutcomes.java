package dev.prefork.server;

import java.time.Duration;

/**
 * Gives tests outside this package a real {@link RequestOutcomes}, whose constructor is
 * package-private.
 */
public final class TestOutcomes {

	private TestOutcomes() {
	}

	public static RequestOutcomes create(int capacity) {
		return new RequestOutcomes(capacity, Duration.ofSeconds(1));
	}

}
