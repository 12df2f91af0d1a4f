package dev.prefork.server;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The last few exceptions that escaped request handlers, and how many of each type were seen.
 * Both are bounded: the ring keeps {@code capacity} entries and the counts keep at most
 * {@link #MAX_TYPES} exception types (the rest are counted under {@link #OTHER_TYPES}).
 */
public final class RecentExceptions {

	/** Most distinct exception types counted separately. */
	public static final int MAX_TYPES = 200;

	/** Key under which types beyond {@link #MAX_TYPES} are counted. */
	public static final String OTHER_TYPES = "other";

	private final int capacity;

	private final ArrayDeque<Entry> entries;

	private final Map<String, Long> countsByType = new LinkedHashMap<>();

	private long total;

	private final List<Consumer<String>> newTypeListeners = new CopyOnWriteArrayList<>();

	RecentExceptions(int capacity) {
		this.capacity = capacity;
		this.entries = new ArrayDeque<>(Math.max(1, capacity));
	}

	void add(Entry entry) {
		String newType = record(entry);
		if (newType != null) {
			this.newTypeListeners.forEach((listener) -> listener.accept(newType));
		}
	}

	/** Records the entry; returns its type if it is counted under its own name for the first time. */
	private synchronized String record(Entry entry) {
		this.total++;
		String type = entry.type();
		String newType = null;
		if (this.countsByType.containsKey(type)) {
			this.countsByType.merge(type, 1L, Long::sum);
		}
		else if (this.countsByType.size() < MAX_TYPES) {
			this.countsByType.put(type, 1L);
			newType = type;
		}
		else {
			this.countsByType.merge(OTHER_TYPES, 1L, Long::sum);
		}
		if (this.capacity > 0) {
			if (this.entries.size() == this.capacity) {
				this.entries.removeFirst();
			}
			this.entries.addLast(entry);
		}
		return newType;
	}

	/**
	 * Adds a listener told (on the thread that saw the exception, after it was counted) when an
	 * exception type is counted under its own name for the first time, so that a meter for it can
	 * be registered at once.
	 */
	public void addNewTypeListener(Consumer<String> listener) {
		this.newTypeListeners.add(listener);
	}

	public void removeNewTypeListener(Consumer<String> listener) {
		this.newTypeListeners.remove(listener);
	}

	/** Exceptions of one type seen since start (types beyond the bound count under {@link #OTHER_TYPES}). */
	public synchronized long count(String type) {
		return this.countsByType.getOrDefault(type, 0L);
	}

	/** Recent exceptions, newest first (a copy). */
	public synchronized List<Entry> entries() {
		List<Entry> copy = new ArrayList<>(this.entries);
		Collections.reverse(copy);
		return copy;
	}

	/** Exceptions seen since start, by type (a copy). */
	public synchronized Map<String, Long> countsByType() {
		return new LinkedHashMap<>(this.countsByType);
	}

	public synchronized long total() {
		return this.total;
	}

	/**
	 * One exception that escaped a request handler.
	 *
	 * @param time when it was recorded
	 * @param type the exception's class name
	 * @param message its message (may be {@code null})
	 * @param workerId the worker that ran the request, or 0 if it ran elsewhere
	 * @param thread the name of the thread that saw it
	 * @param method the request method
	 * @param path the request path, without the query string
	 * @param exception the exception itself
	 */
	public record Entry(Instant time, String type, String message, int workerId, String thread, String method,
			String path, Throwable exception) {
	}

}
