package dev.prefork.autoconfigure;

import java.util.function.Supplier;

import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;

import dev.prefork.server.RequestOutcomes;

/**
 * Sees every exception that escapes a handler before Boot's error handling turns it into a
 * response, records it with Prefork, and passes it on unchanged. Exceptions that are already an
 * HTTP answer ({@link ResponseStatusException} with a 4xx status, such as 404) are not failures
 * and are not recorded.
 */
final class ExceptionRecordingWebExceptionHandler implements WebExceptionHandler, Ordered {

	private final Supplier<RequestOutcomes> outcomes;

	ExceptionRecordingWebExceptionHandler(Supplier<RequestOutcomes> outcomes) {
		this.outcomes = outcomes;
	}

	@Override
	public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
		RequestOutcomes outcomes = this.outcomes.get();
		if (outcomes != null && !isClientError(ex)) {
			outcomes.recordHandledException(ex, exchange.getRequest().getMethod().name(),
					exchange.getRequest().getPath().value());
		}
		return Mono.error(ex);
	}

	private boolean isClientError(Throwable ex) {
		return ex instanceof ResponseStatusException status && status.getStatusCode().is4xxClientError();
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
