package dev.prefork.faults.load;

/**
 * How one request is counted.
 *
 * @param kind correct, failed by design, or failed
 * @param reason why, for anything but a correct answer (for example {@code "status 503"})
 */
public record Verdict(Kind kind, String reason) {

	public static final Verdict OK = new Verdict(Kind.OK, "");

	/** How a request ended, as far as the harness is concerned. */
	public enum Kind {

		/** The expected answer. */
		OK,

		/** Not the expected answer, but one the scenario provokes on purpose (a 503 under overload). */
		BY_DESIGN,

		/** Anything else: these are the lost or failed requests the harness exists to find. */
		FAILED

	}

	public static Verdict byDesign(String reason) {
		return new Verdict(Kind.BY_DESIGN, reason);
	}

	public static Verdict failed(String reason) {
		return new Verdict(Kind.FAILED, reason);
	}

}
