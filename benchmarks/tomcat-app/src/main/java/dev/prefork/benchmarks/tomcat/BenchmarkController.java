package dev.prefork.benchmarks.tomcat;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /hello}, {@code /work?ms=} and {@code /cpu?n=}, doing what the sample application's
 * endpoints do, on Tomcat's request threads.
 */
@RestController
class BenchmarkController {

	@GetMapping(path = "/hello", produces = MediaType.TEXT_PLAIN_VALUE)
	String hello() {
		return "Hello from Tomcat\n";
	}

	@GetMapping(path = "/work", produces = MediaType.TEXT_PLAIN_VALUE)
	String work(@RequestParam(defaultValue = "20") long ms) throws InterruptedException {
		Thread.sleep(ms);
		return "worked " + ms + " ms on " + Thread.currentThread().getName() + "\n";
	}

	/** The same hash loop as the sample application's {@code /cpu}. */
	@GetMapping(path = "/cpu", produces = MediaType.TEXT_PLAIN_VALUE)
	String cpu(@RequestParam(defaultValue = "10000") int n) {
		long hash = 1125899906842597L;
		for (int i = 0; i < n; i++) {
			hash = 31 * hash + (hash >>> 7) + i;
		}
		return "cpu " + n + " -> " + Long.toHexString(hash) + "\n";
	}

}
