package dev.prefork.process;

/** A count and its noun, as log lines say it: "1 worker", "2 workers", "2 worker processes". */
public final class Counted {

	private Counted() {
	}

	public static String of(long count, String singular) {
		return count + " " + ((count == 1) ? singular : singular + (singular.endsWith("s") ? "es" : "s"));
	}

}
