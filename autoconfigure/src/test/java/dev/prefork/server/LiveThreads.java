package dev.prefork.server;

import java.util.Set;
import java.util.stream.Collectors;

/**
 * The names of the live threads a test looks for, so that it can demand that none is left.
 */
public final class LiveThreads {

	private LiveThreads() {
	}

	/** Every live thread of any Prefork server: event loops, arbiter, workers, lanes. */
	static Set<String> prefork() {
		return named("prefork-");
	}

	/** Every live thread of a worker ({@code prefork-w<id>-t<n>}). */
	static Set<String> workers() {
		return named("prefork-w");
	}

	/** Every live thread whose name starts with {@code prefix}. */
	public static Set<String> named(String prefix) {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter(Thread::isAlive)
			.map(Thread::getName)
			.filter((name) -> name.startsWith(prefix))
			.collect(Collectors.toSet());
	}

}
