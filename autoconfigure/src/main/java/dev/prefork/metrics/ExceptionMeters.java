package dev.prefork.metrics;

import java.util.HashMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import dev.prefork.server.RecentExceptions;

/**
 * The {@code prefork.exceptions} counters, one per exception type. A type is only known once it
 * has been seen and nothing announces it, so the counter of {@link RecentExceptions#OTHER_TYPES}
 * is registered up front and every read of it, which every scrape makes, registers the types
 * seen since the last one: a new type shows from the next scrape on. There are at most
 * {@link RecentExceptions#MAX_TYPES} of them.
 */
final class ExceptionMeters {

	private final MeterRegistry registry;

	private final RecentExceptions exceptions;

	private final Map<String, Meter> meters = new HashMap<>();

	private boolean closed;

	ExceptionMeters(MeterRegistry registry, RecentExceptions exceptions) {
		this.registry = registry;
		this.exceptions = exceptions;
		this.meters.put(RecentExceptions.OTHER_TYPES,
				register(RecentExceptions.OTHER_TYPES, this::countOthersAndRegisterNewTypes));
		registerNewTypes(exceptions.countsByType());
	}

	/** Removes every counter. */
	synchronized void remove() {
		this.closed = true;
		this.meters.values().forEach(this.registry::remove);
		this.meters.clear();
	}

	private double countOthersAndRegisterNewTypes(RecentExceptions exceptions) {
		Map<String, Long> counts = exceptions.countsByType();
		registerNewTypes(counts);
		return counts.getOrDefault(RecentExceptions.OTHER_TYPES, 0L);
	}

	private synchronized void registerNewTypes(Map<String, Long> counts) {
		if (this.closed) {
			return;
		}
		for (String type : counts.keySet()) {
			this.meters.computeIfAbsent(type,
					(key) -> register(key, (exceptions) -> exceptions.countsByType().getOrDefault(key, 0L)));
		}
	}

	private Meter register(String type, ToDoubleFunction<RecentExceptions> count) {
		return PreforkMeters.EXCEPTIONS.functionCounter(this.exceptions, count)
			.tag(PreforkMeters.TagName.EXCEPTION.asString(), type)
			.register(this.registry);
	}

}
