package dev.prefork.event;

import dev.prefork.server.Worker;

/** Every thread of a worker was stuck past the heartbeat timeout; it is being replaced. */
public class WorkerTimedOutEvent extends PreforkWorkerEvent {

	public WorkerTimedOutEvent(Worker worker) {
		super(worker);
	}

}
