package dev.prefork.faults.load;

import dev.prefork.faults.http.HttpResponse;
import dev.prefork.faults.http.TransportFailure;

/** Decides which answers a scenario expects, which it provokes on purpose, and which are failures. */
public interface ResponsePolicy {

	/**
	 * Only the expected status is correct; everything else (another status, a timeout, a reset,
	 * a connection closed without an answer) is a failure.
	 */
	ResponsePolicy STRICT = new ResponsePolicy() {

		@Override
		public Verdict judge(RequestSpec spec, HttpResponse response, long sentNanos) {
			return (response.status() == spec.expectedStatus()) ? Verdict.OK
					: Verdict.failed("status " + response.status());
		}

		@Override
		public Verdict judge(RequestSpec spec, TransportFailure failure, long sentNanos) {
			return Verdict.failed(failure.description());
		}

	};

	/** Judges an answer to a request sent at {@code sentNanos} ({@link System#nanoTime()}). */
	Verdict judge(RequestSpec spec, HttpResponse response, long sentNanos);

	/** Judges a request that got no answer. */
	Verdict judge(RequestSpec spec, TransportFailure failure, long sentNanos);

	/** {@link #STRICT}, except that a {@code 503} from the server is by design (overload). */
	static ResponsePolicy allowing503(String reason) {
		return new ResponsePolicy() {

			@Override
			public Verdict judge(RequestSpec spec, HttpResponse response, long sentNanos) {
				return (response.status() == 503 && spec.expectedStatus() != 503) ? Verdict.byDesign(reason)
						: STRICT.judge(spec, response, sentNanos);
			}

			@Override
			public Verdict judge(RequestSpec spec, TransportFailure failure, long sentNanos) {
				return STRICT.judge(spec, failure, sentNanos);
			}

		};
	}

}
