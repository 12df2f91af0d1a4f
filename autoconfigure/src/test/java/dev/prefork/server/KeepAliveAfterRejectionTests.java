package dev.prefork.server;

import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A keep-alive connection keeps being read after one of its requests was refused for overload,
 * also when that request had been buffered by reactor-netty because it arrived before the previous
 * request (completed on a worker thread) had finished (reactor/reactor-netty#4361).
 */
class KeepAliveAfterRejectionTests {

	@Test
	void whenAPipelinedRequestIsRefusedForOverloadThenTheConnectionStillServesTheNextRequest() throws Exception {
		try (TestServer server = TestServer.start((factory) -> {
			factory.setWorkers(1);
			factory.setThreads(1);
			factory.setQueueCapacity(0);
		})) {
			// Another client keeps asking for the only thread, so that it is often taken again by
			// the time the buffered request is dispatched (the thread counts as free once its answer
			// is committed, so without a competitor the buffered request would always find it).
			AtomicBoolean competing = new AtomicBoolean(true);
			Thread competitor = new Thread(() -> {
				try (RawHttp other = new RawHttp(server.port())) {
					while (competing.get()) {
						other.send("GET /sleep?ms=1 HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
					}
				}
				catch (Exception ex) {
					// the server stopped under it: the test's own assertions tell
				}
			}, "competitor");
			competitor.start();
			int refused = 0;
			try {
				for (int i = 0; i < 200; i++) {
					refused += bufferedRequestRefused(server.port(), i) ? 1 : 0;
				}
			}
			finally {
				competing.set(false);
				competitor.join(10_000);
			}
			assertThat(refused).as("rounds where the buffered request was refused (the case under test)").isPositive();
		}
	}

	/** One round: two requests in one write, then a third; whether the buffered second was refused. */
	private static boolean bufferedRequestRefused(int port, int round) throws Exception {
		try (RawHttp http = new RawHttp(port)) {
			http.soTimeout(5_000);
			// Both in one write: the second is buffered while the first runs on the only worker
			// thread, and is refused with 503 if that thread is taken by then.
			http.send("GET /sleep?ms=1 HTTP/1.1\r\nHost: test\r\n\r\nGET /hello HTTP/1.1\r\nHost: test\r\n\r\n");
			int first = http.readResponse().status();
			int second = http.readResponse().status();
			assertThat(first).isIn(200, 503);
			assertThat(second).isIn(200, 503);
			RawHttp.Response third = http.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
			assertThat(third).as("answer to the request after a %d, round %d", second, round).isNotNull();
			assertThat(third.status()).isIn(200, 503);
			return first == 200 && second == 503;
		}
	}

}
