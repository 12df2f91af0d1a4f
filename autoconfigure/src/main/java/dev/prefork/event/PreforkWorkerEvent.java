package dev.prefork.event;

import org.springframework.context.ApplicationEvent;

import dev.prefork.server.Worker;

/**
 * Base of the application events Prefork publishes about its workers. Listen with
 * {@code @EventListener} to log or measure worker churn without touching the server.
 */
public abstract class PreforkWorkerEvent extends ApplicationEvent {

	PreforkWorkerEvent(Worker worker) {
		super(worker);
	}

	/** The worker the event is about. */
	public Worker getWorker() {
		return (Worker) getSource();
	}

}
