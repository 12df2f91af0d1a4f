package dev.prefork.autoconfigure;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ResponseStatusException;

import dev.prefork.server.RecentExceptions;
import dev.prefork.server.RequestOutcomes;
import dev.prefork.server.TestOutcomes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The exception recorder runs before every other exception handler, passes every exception on
 * unchanged, and records only real failures: a 4xx {@link ResponseStatusException} is an answer,
 * not a failure.
 */
class ExceptionRecordingWebExceptionHandlerTests {

	private final RequestOutcomes outcomes = TestOutcomes.create(10);

	private final ExceptionRecordingWebExceptionHandler handler = new ExceptionRecordingWebExceptionHandler(
			() -> this.outcomes);

	@Test
	void recorderRunsBeforeEveryOtherExceptionHandler() {
		assertThat(this.handler.getOrder()).isEqualTo(Ordered.HIGHEST_PRECEDENCE);
	}

	@Test
	void notFoundIsPassedOnWithoutBeingRecorded() {
		ResponseStatusException notFound = new ResponseStatusException(HttpStatus.NOT_FOUND);

		Throwable passedOn = errorOf(this.handler.handle(exchange("/missing"), notFound));

		assertThat(passedOn).isSameAs(notFound);
		assertThat(this.outcomes.getRecentExceptions().total()).isZero();
		assertThat(this.outcomes.getRecentExceptions().entries()).isEmpty();
	}

	@Test
	void applicationFailureIsPassedOnUnchangedAndRecorded() {
		IllegalStateException failure = new IllegalStateException("boom");

		Throwable passedOn = errorOf(this.handler.handle(exchange("/boom?secret=1"), failure));

		assertThat(passedOn).isSameAs(failure);
		RecentExceptions recent = this.outcomes.getRecentExceptions();
		assertThat(recent.total()).isEqualTo(1);
		assertThat(recent.countsByType()).containsEntry(IllegalStateException.class.getName(), 1L);
		RecentExceptions.Entry entry = recent.entries().get(0);
		assertThat(entry.exception()).isSameAs(failure);
		assertThat(entry.method()).isEqualTo("GET");
		assertThat(entry.path()).isEqualTo("/boom");
	}

	@Test
	void serverErrorStatusIsRecordedLikeAnyOtherFailure() {
		ResponseStatusException unavailable = new ResponseStatusException(HttpStatus.SERVICE_UNAVAILABLE);

		Throwable passedOn = errorOf(this.handler.handle(exchange("/down"), unavailable));

		assertThat(passedOn).isSameAs(unavailable);
		assertThat(this.outcomes.getRecentExceptions().total()).isEqualTo(1);
	}

	@Test
	void whenNoPreforkServerRunsTheExceptionIsStillPassedOn() {
		ExceptionRecordingWebExceptionHandler withoutServer = new ExceptionRecordingWebExceptionHandler(() -> null);
		IllegalStateException failure = new IllegalStateException("boom");

		assertThat(errorOf(withoutServer.handle(exchange("/boom"), failure))).isSameAs(failure);
	}

	private static MockServerWebExchange exchange(String uri) {
		return MockServerWebExchange.from(MockServerHttpRequest.get(uri));
	}

	private static Throwable errorOf(Mono<Void> result) {
		Throwable error = catchThrowable(result::block);
		assertThat(error).as("the handler must pass the exception on as an error signal").isNotNull();
		return error;
	}

}
