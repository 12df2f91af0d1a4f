package dev.prefork.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Clients that send their next request as soon as their last answer arrives: each lane repeats
 * its request on a thread of its own for the given time, and the statuses of all answers are
 * counted.
 */
final class BackToBack {

	private BackToBack() {
	}

	/** @param lanes each sends one request and returns its answer's status */
	static <S extends Comparable<S>> Map<S, Integer> statuses(Duration duration, List<Callable<S>> lanes)
			throws Exception {
		ExecutorService threads = Executors.newFixedThreadPool(lanes.size());
		try {
			long deadline = System.nanoTime() + duration.toNanos();
			List<Future<Map<S, Integer>>> counted = new ArrayList<>();
			for (Callable<S> lane : lanes) {
				counted.add(threads.submit(() -> {
					Map<S, Integer> statuses = new TreeMap<>();
					while (System.nanoTime() < deadline) {
						statuses.merge(lane.call(), 1, Integer::sum);
					}
					return statuses;
				}));
			}
			Map<S, Integer> statuses = new TreeMap<>();
			for (Future<Map<S, Integer>> lane : counted) {
				lane.get(duration.toSeconds() + 30, TimeUnit.SECONDS)
					.forEach((status, count) -> statuses.merge(status, count, Integer::sum));
			}
			return statuses;
		}
		finally {
			threads.shutdownNow();
		}
	}

}
