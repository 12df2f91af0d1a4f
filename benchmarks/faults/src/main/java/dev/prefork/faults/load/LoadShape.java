package dev.prefork.faults.load;

import java.time.Duration;
import java.util.List;

/**
 * How much load, of which kind: {@code clients} connections, each sending its next request one
 * {@code interval} after the previous one was sent (or at once if that one took longer), cycling
 * through {@code mix}. Pacing keeps the rate steady whatever the server does, so a slow server is
 * not rewarded with less load, and {@code budget} (0 = none) caps the total number of requests.
 *
 * @param clients concurrent connections
 * @param interval time between the starts of two requests on one connection
 * @param mix the requests, sent in turn
 * @param budget requests to send in all before stopping, or 0 for no limit
 */
public record LoadShape(int clients, Duration interval, List<RequestSpec> mix, long budget) {

	/** The background of every scenario: 8 connections alternating /hello and /work?ms=10, ~400 requests/s. */
	public static LoadShape background() {
		return new LoadShape(8, Duration.ofMillis(20), List.of(RequestSpec.HELLO, RequestSpec.WORK_10MS), 0);
	}

	/** The offered request rate, per second, when the server keeps up. */
	public double offeredRate() {
		return this.clients * 1000.0 / Math.max(1, this.interval.toMillis());
	}

	public LoadShape withBudget(long budget) {
		return new LoadShape(this.clients, this.interval, this.mix, budget);
	}

}
