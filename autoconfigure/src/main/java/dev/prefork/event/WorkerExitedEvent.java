package dev.prefork.event;

import dev.prefork.server.Worker;

/** A worker's threads have ended (or were abandoned) and it is gone. */
public class WorkerExitedEvent extends PreforkWorkerEvent {

	private final Worker.ExitReason reason;

	public WorkerExitedEvent(Worker worker, Worker.ExitReason reason) {
		super(worker);
		this.reason = reason;
	}

	/** Why it left; {@code null} only if it left without the arbiter giving a reason. */
	public Worker.ExitReason getReason() {
		return this.reason;
	}

}
