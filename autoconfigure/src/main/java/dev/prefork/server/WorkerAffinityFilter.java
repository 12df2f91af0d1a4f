package dev.prefork.server;

import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Brings a request back to the worker that admitted it before its handler runs. Filters may
 * complete on Reactor's threads (a {@code WebSession} lookup, Spring Security's reactive
 * authentication), and everything after them would run there, unbounded and unsupervised. As the
 * last filter of the chain, this one subscribes the rest (handler mapping, argument resolution, the
 * controller method or handler function, the encoding of its result) on the request's worker, and
 * hands the handler an exchange whose session, principal, form and multipart data complete there
 * too. On the worker already (no filter left it), nothing moves.
 * <p>
 * Prefork's auto-configuration appends it to the application's filters; an application that builds
 * its {@code HttpHandler} by hand can add it last itself.
 */
public final class WorkerAffinityFilter implements WebFilter, Ordered {

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		RequestTask task = WorkerBoundHttpHandler.taskOf(exchange.getResponse());
		if (task == null) {
			return chain.filter(exchange);
		}
		ServerWebExchange onWorker = new WorkerBoundExchange(exchange, task.scheduler());
		Mono<Void> rest = (RequestTask.current() == task) ? chain.filter(onWorker)
				: Mono.defer(() -> chain.filter(onWorker)).subscribeOn(task.scheduler());
		return rest.contextWrite((context) -> context.put(PreforkSchedulers.CONTEXT_KEY, task.scheduler()));
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
