package dev.prefork.server;

import java.util.List;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.http.server.reactive.HttpHandler;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An exception escaping the application becomes a 500 on a connection that stays usable, and is
 * counted and kept in the bounded ring of recent exceptions with its worker and thread.
 */
class ExceptionTests {

	private final HttpHandler failing = (request, response) -> {
		if (request.getPath().value().equals("/boom")) {
			throw new IllegalStateException("boom in " + Thread.currentThread().getName());
		}
		if (request.getPath().value().equals("/async-boom")) {
			return Mono.error(new UnsupportedOperationException("async boom"));
		}
		return response.setComplete();
	};

	@Test
	void exceptionBecomes500OnAConnectionThatStaysUsable() throws Exception {
		try (TestServer server = TestServer.start((factory) -> factory.setExceptionCapacity(2), this.failing);
				RawHttp raw = new RawHttp(server.port())) {
			assertThat(raw.send("GET /boom HTTP/1.1\r\nHost: localhost\r\n\r\n").readResponse().status())
				.isEqualTo(500);
			assertThat(raw.send("GET /ok HTTP/1.1\r\nHost: localhost\r\n\r\n").readResponse().status())
				.isEqualTo(200);
			assertThat(raw.send("GET /async-boom?secret=1 HTTP/1.1\r\nHost: localhost\r\n\r\n").readResponse().status())
				.isEqualTo(500);
			assertThat(raw.send("GET /boom HTTP/1.1\r\nHost: localhost\r\n\r\n").readResponse().status())
				.isEqualTo(500);

			RecentExceptions recent = server.server.getRequestOutcomes().getRecentExceptions();
			assertThat(recent.total()).isEqualTo(3);
			assertThat(recent.countsByType()).containsEntry(IllegalStateException.class.getName(), 2L)
				.containsEntry(UnsupportedOperationException.class.getName(), 1L);
			List<RecentExceptions.Entry> entries = recent.entries();
			assertThat(entries).hasSize(2); // bounded ring, newest first
			assertThat(entries.get(0).path()).isEqualTo("/boom");
			assertThat(entries.get(0).method()).isEqualTo("GET");
			assertThat(entries.get(0).thread()).matches("prefork-w[12]-t\\d+");
			assertThat(entries.get(0).workerId()).isBetween(1, 2);
			assertThat(entries.get(1).path()).isEqualTo("/async-boom"); // never the query string
			long perWorker = server.arbiter().getWorkers().stream().mapToLong(Worker::getExceptions).sum();
			assertThat(perWorker).isEqualTo(3);
		}
	}

}
