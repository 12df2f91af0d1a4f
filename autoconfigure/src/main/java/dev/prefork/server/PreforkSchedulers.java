package dev.prefork.server;

import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.ContextView;

import org.springframework.web.server.ServerWebExchange;

/**
 * The way back to a request's worker after the application's own asynchronous hop: code after a
 * {@code Mono.delay}, a {@code WebClient} call or a {@code publishOn} runs where Reactor puts it, as
 * on stock WebFlux, and {@code .publishOn(PreforkSchedulers.worker(exchange))} brings it back to the
 * worker's bounded, supervised threads (for blocking work after the hop, say).
 */
public final class PreforkSchedulers {

	/** Key of the request's worker scheduler in the Reactor context of its handler. */
	public static final String CONTEXT_KEY = PreforkSchedulers.class.getName() + ".WORKER";

	private PreforkSchedulers() {
	}

	/**
	 * The scheduler of the worker that admitted the exchange's request; where the request is not
	 * served by a Prefork worker, {@link Schedulers#boundedElastic()}, which is where stock WebFlux
	 * runs blocking work.
	 * @param exchange the request's exchange (in a handler function: {@code request.exchange()})
	 * @return a scheduler for blocking work on behalf of this request
	 */
	public static Scheduler worker(ServerWebExchange exchange) {
		RequestTask task = WorkerBoundHttpHandler.taskOf(exchange.getResponse());
		return (task != null) ? task.scheduler() : Schedulers.boundedElastic();
	}

	/**
	 * The scheduler of the request's worker from the Reactor context of its handler (for example
	 * inside {@code Mono.deferContextual}), or {@link Schedulers#boundedElastic()}.
	 * @param context the handler's Reactor context
	 * @return a scheduler for blocking work on behalf of this request
	 */
	public static Scheduler worker(ContextView context) {
		return context.getOrDefault(CONTEXT_KEY, Schedulers.boundedElastic());
	}

}
