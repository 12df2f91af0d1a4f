package dev.prefork.sample;

import java.time.Duration;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * Endpoints that exercise each kind of work a worker may be given.
 */
@RestController
class SampleController {

	/**
	 * Where blocking and CPU-bound work runs. On Prefork the controller already runs on a worker
	 * thread, so the work stays there ({@code immediate}); on the stock server it must leave the
	 * event loop, as a WebFlux user would write it ({@code boundedElastic}).
	 */
	private final Scheduler blockingScheduler;

	SampleController(@Value("${prefork.enabled:true}") boolean preforkEnabled) {
		this.blockingScheduler = preforkEnabled ? Schedulers.immediate() : Schedulers.boundedElastic();
	}

	/** Non-blocking: the handler returns at once. */
	@GetMapping(path = "/hello", produces = MediaType.TEXT_PLAIN_VALUE)
	Mono<String> hello() {
		return Mono.just("Hello from Prefork\n");
	}

	/** Blocking: sleeps on the worker thread, as JDBC or a blocking HTTP client would. */
	@GetMapping(path = "/work", produces = MediaType.TEXT_PLAIN_VALUE)
	Mono<String> work(@RequestParam(defaultValue = "20") long ms) {
		return Mono.fromCallable(() -> {
			Thread.sleep(ms);
			return "worked " + ms + " ms on " + Thread.currentThread().getName() + "\n";
		}).subscribeOn(this.blockingScheduler);
	}

	/** CPU-bound: hashes for a while ({@code n=150000} is about 0.2 ms on the benchmark machine). */
	@GetMapping(path = "/cpu", produces = MediaType.TEXT_PLAIN_VALUE)
	Mono<String> cpu(@RequestParam(defaultValue = "10000") int n) {
		return Mono.fromCallable(() -> "cpu " + n + " -> " + Long.toHexString(hash(n)) + "\n")
			.subscribeOn(this.blockingScheduler);
	}

	private static long hash(int n) {
		long hash = 1125899906842597L;
		for (int i = 0; i < n; i++) {
			hash = 31 * hash + (hash >>> 7) + i;
		}
		return hash;
	}

	/** Throws, to show how exceptions are answered, logged and counted. */
	@GetMapping("/boom")
	String boom() {
		throw new IllegalStateException("boom: this endpoint always fails");
	}

	/**
	 * Blocks far past every timeout. With {@code stubborn=true} it also ignores interrupts (for
	 * up to ten minutes), like code stuck in a native call, to show threads being abandoned.
	 */
	@GetMapping(path = "/hang", produces = MediaType.TEXT_PLAIN_VALUE)
	String hang(@RequestParam(defaultValue = "false") boolean stubborn) throws InterruptedException {
		long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
		while (System.nanoTime() < deadline) {
			try {
				Thread.sleep(Duration.ofHours(1).toMillis());
			}
			catch (InterruptedException ex) {
				if (!stubborn) {
					throw ex;
				}
			}
		}
		return "woke up\n";
	}

	/** Reads the whole body (decoded on the worker thread) and returns it. */
	@PostMapping("/echo")
	String echo(@RequestBody(required = false) String body) {
		return (body != null) ? body : "";
	}

	private static final int EVENTS_HELD_FOR_A_SLOW_CLIENT = 64;

	/**
	 * Server-sent events, one every {@code ms} milliseconds: a stream holds no worker thread between
	 * events, outlives recycling and {@code request-timeout}, and shows as streaming.
	 */
	@GetMapping(path = "/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	Flux<ServerSentEvent<String>> events(@RequestParam(defaultValue = "10") int count,
			@RequestParam(defaultValue = "1000") long ms) {
		if (count < 1 || count > 100_000 || ms < 1 || ms > 3_600_000) {
			throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "count must be 1-100000 and ms 1-3600000");
		}
		// The clock ticks whether or not the connection has taken the events before: a few are held
		// for a slow (or still cold) connection, where an interval without a buffer fails the stream
		// at its first late request. Bounded: a client this far behind gets the stream ended.
		return Flux.interval(Duration.ZERO, Duration.ofMillis(ms))
			.onBackpressureBuffer(EVENTS_HELD_FOR_A_SLOW_CLIENT)
			.take(count)
			.map((i) -> ServerSentEvent.builder("tick " + i).id(Long.toString(i)).build());
	}

	/**
	 * A body of {@code count} rows produced as the client takes them, as rows read from a blocking
	 * cursor are: after the first batch the connection asks for more from its event loop, and on
	 * Prefork the rows are still produced on the worker; on the stock server they must leave the
	 * event loop themselves.
	 */
	@GetMapping(path = "/rows", produces = MediaType.TEXT_PLAIN_VALUE)
	Flux<String> rows(@RequestParam(defaultValue = "1000") int count) {
		if (count < 1 || count > 1_000_000) {
			throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "count must be 1-1000000");
		}
		return Flux.range(0, count).map((row) -> "row " + row + "\n").subscribeOn(this.blockingScheduler);
	}

	/** Names the thread that serves the request. */
	@GetMapping(path = "/whoami", produces = MediaType.TEXT_PLAIN_VALUE)
	String whoami() {
		return Thread.currentThread().getName() + "\n";
	}

}
