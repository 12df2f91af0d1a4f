package dev.prefork.event;

import dev.prefork.server.Worker;

/**
 * A worker is being replaced gracefully (max requests, lifetime, on request, abandoned thread):
 * its replacement has booted and it drains.
 */
public class WorkerRecycledEvent extends PreforkWorkerEvent {

	private final Worker.ExitReason reason;

	public WorkerRecycledEvent(Worker worker, Worker.ExitReason reason) {
		super(worker);
		this.reason = reason;
	}

	public Worker.ExitReason getReason() {
		return this.reason;
	}

}
