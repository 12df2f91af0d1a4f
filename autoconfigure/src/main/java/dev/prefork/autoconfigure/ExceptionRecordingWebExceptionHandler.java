package dev.prefork.autoconfigure;

import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;

import dev.prefork.server.RequestAnsweredException;
import dev.prefork.server.RequestOutcomes;

/**
 * Sees every exception that escapes a handler before Boot's error handling turns it into a
 * response, records it with Prefork, and passes it on unchanged. Exceptions that are already an
 * HTTP answer ({@link ResponseStatusException} with a 4xx status, such as 404) are not failures
 * and are not recorded. Exceptions from requests that Prefork has already answered (timed out,
 * aborted) end here, as nothing can be written for them any more.
 */
final class ExceptionRecordingWebExceptionHandler implements WebExceptionHandler, Ordered {

	private static final Log logger = LogFactory.getLog(ExceptionRecordingWebExceptionHandler.class);

	private final Supplier<RequestOutcomes> outcomes;

	ExceptionRecordingWebExceptionHandler(Supplier<RequestOutcomes> outcomes) {
		this.outcomes = outcomes;
	}

	@Override
	public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
		RequestOutcomes outcomes = this.outcomes.get();
		if (outcomes == null) {
			return Mono.error(ex);
		}
		if (ex instanceof RequestAnsweredException || outcomes.isCurrentRequestAnswered()
				|| outcomes.isAnswered(exchange.getResponse())) {
			// Prefork answered 503 (request timeout, aborted worker) and interrupted the thread: this is
			// the interrupt surfacing, or the application's answer refused at its commit. Passed on,
			// Boot's error handling would log a 500 that can no longer be sent, then a second error
			// for trying; Prefork logged the timeout already.
			logger.debug("Ignoring " + ex + " from a request already answered by Prefork");
			return Mono.empty();
		}
		if (!isClientError(ex)) {
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
