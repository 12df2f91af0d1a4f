package dev.prefork.event;

import org.springframework.context.ApplicationEventPublisher;

import dev.prefork.server.ArbiterListener;
import dev.prefork.server.Worker;

/**
 * Turns what the arbiter does into Spring application events.
 */
public class WorkerEventPublisher implements ArbiterListener {

	private final ApplicationEventPublisher publisher;

	public WorkerEventPublisher(ApplicationEventPublisher publisher) {
		this.publisher = publisher;
	}

	@Override
	public void workerBooted(Worker worker) {
		this.publisher.publishEvent(new WorkerStartedEvent(worker));
	}

	@Override
	public void workerRetiring(Worker worker, Worker.ExitReason reason) {
		if (reason == Worker.ExitReason.TIMEOUT) {
			this.publisher.publishEvent(new WorkerTimedOutEvent(worker));
		}
		else if (reason != Worker.ExitReason.SCALE && reason != Worker.ExitReason.SHUTDOWN) {
			this.publisher.publishEvent(new WorkerRecycledEvent(worker, reason));
		}
	}

	@Override
	public void workerExited(Worker worker, Worker.ExitReason reason) {
		this.publisher.publishEvent(new WorkerExitedEvent(worker, reason));
	}

}
