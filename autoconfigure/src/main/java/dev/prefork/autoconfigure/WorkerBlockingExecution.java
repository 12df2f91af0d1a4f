package dev.prefork.autoconfigure;

import org.springframework.core.Ordered;
import org.springframework.web.reactive.config.BlockingExecutionConfigurer;
import org.springframework.web.reactive.config.WebFluxConfigurer;

/**
 * Invokes blocking controller methods where the request already is, on a thread of its worker.
 * With virtual threads on, Boot configures WebFlux to hand every controller method that does not
 * return a reactive type to its {@code applicationTaskExecutor}: one new virtual thread per call,
 * which no {@code prefork.threads} bounds and no {@code prefork.request-timeout} interrupts. Under
 * Prefork the worker's threads are already virtual, so the hand-off gains nothing.
 */
final class WorkerBlockingExecution implements WebFluxConfigurer, Ordered {

	/**
	 * Right after Boot's configurer (order 0), and before an application's own (unordered, so
	 * last): one that sets a predicate of its own keeps the last word.
	 */
	static final int ORDER = 1;

	@Override
	public void configureBlockingExecution(BlockingExecutionConfigurer configurer) {
		configurer.setControllerMethodPredicate((method) -> false);
	}

	@Override
	public int getOrder() {
		return ORDER;
	}

}
