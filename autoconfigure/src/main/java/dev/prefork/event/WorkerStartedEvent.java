package dev.prefork.event;

import dev.prefork.server.Worker;

/** A worker booted and takes traffic. */
public class WorkerStartedEvent extends PreforkWorkerEvent {

	public WorkerStartedEvent(Worker worker) {
		super(worker);
	}

}
