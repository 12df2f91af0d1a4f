package dev.prefork.metrics;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import dev.prefork.server.RecentExceptions;

/**
 * The {@code prefork.exceptions} counters, one per exception type: the types seen before binding
 * are registered at once, later ones when {@link RecentExceptions} announces them, so a new type
 * is in the very next scrape. There are at most {@link RecentExceptions#MAX_TYPES} of them, plus
 * {@link RecentExceptions#OTHER_TYPES}.
 */
final class ExceptionMeters {

	private final MeterRegistry registry;

	private final RecentExceptions exceptions;

	private final Map<String, Meter> meters = new HashMap<>();

	private final Consumer<String> newType = this::registerType;

	private boolean closed;

	ExceptionMeters(MeterRegistry registry, RecentExceptions exceptions) {
		this.registry = registry;
		this.exceptions = exceptions;
		this.meters.put(RecentExceptions.OTHER_TYPES, register(RecentExceptions.OTHER_TYPES));
		exceptions.addNewTypeListener(this.newType);
		exceptions.countsByType().keySet().forEach(this::registerType);
	}

	/** Removes every counter. */
	synchronized void remove() {
		this.closed = true;
		this.exceptions.removeNewTypeListener(this.newType);
		this.meters.values().forEach(this.registry::remove);
		this.meters.clear();
	}

	private synchronized void registerType(String type) {
		if (!this.closed) {
			this.meters.computeIfAbsent(type, this::register);
		}
	}

	private Meter register(String type) {
		return PreforkMeters.EXCEPTIONS.functionCounter(this.exceptions, (exceptions) -> exceptions.count(type))
			.tag(PreforkMeters.TagName.EXCEPTION.asString(), type)
			.register(this.registry);
	}

}
