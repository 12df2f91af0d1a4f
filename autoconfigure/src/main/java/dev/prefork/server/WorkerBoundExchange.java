package dev.prefork.server;

import java.security.Principal;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import org.springframework.http.codec.multipart.Part;
import org.springframework.util.MultiValueMap;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebExchangeDecorator;
import org.springframework.web.server.WebSession;

/**
 * An exchange whose asynchronous parts complete on the request's worker: a session store, the
 * security context behind the principal, or the parsing of a form or a multipart body may complete
 * on another thread, and the controller whose argument they are would run there.
 */
final class WorkerBoundExchange extends ServerWebExchangeDecorator {

	private final Scheduler worker;

	WorkerBoundExchange(ServerWebExchange delegate, Scheduler worker) {
		super(delegate);
		this.worker = worker;
	}

	@Override
	public Mono<WebSession> getSession() {
		return getDelegate().getSession().publishOn(this.worker);
	}

	@Override
	public <T extends Principal> Mono<T> getPrincipal() {
		return getDelegate().<T>getPrincipal().publishOn(this.worker);
	}

	@Override
	public Mono<MultiValueMap<String, String>> getFormData() {
		return getDelegate().getFormData().publishOn(this.worker);
	}

	@Override
	public Mono<MultiValueMap<String, Part>> getMultipartData() {
		return getDelegate().getMultipartData().publishOn(this.worker);
	}

}
