package dev.prefork.server;

import java.util.function.BooleanSupplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.web.server.GracefulShutdownCallback;
import org.springframework.boot.web.server.GracefulShutdownResult;

/**
 * Boot's {@code server.shutdown=graceful} for Prefork: stop taking connections and requests,
 * then report when the requests in flight have finished. Boot's lifecycle bounds the wait and
 * calls {@code stop()} afterwards.
 */
final class GracefulShutdown {

	private static final Log logger = LogFactory.getLog(GracefulShutdown.class);

	private static final long POLL_MILLIS = 20;

	private final Runnable refuseNewWork;

	private final BooleanSupplier idle;

	private volatile boolean aborted;

	private volatile Thread waiter;

	GracefulShutdown(Runnable refuseNewWork, BooleanSupplier idle) {
		this.refuseNewWork = refuseNewWork;
		this.idle = idle;
	}

	void shutDownGracefully(GracefulShutdownCallback callback) {
		logger.info("Commencing graceful shutdown. Waiting for active requests to complete");
		this.refuseNewWork.run();
		Thread thread = new Thread(() -> awaitIdle(callback), "prefork-shutdown");
		thread.setDaemon(true);
		this.waiter = thread;
		thread.start();
	}

	private void awaitIdle(GracefulShutdownCallback callback) {
		try {
			while (!this.aborted && !this.idle.getAsBoolean()) {
				Thread.sleep(POLL_MILLIS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		if (this.aborted || !this.idle.getAsBoolean()) {
			logger.info("Graceful shutdown aborted with one or more requests still active");
			callback.shutdownComplete(GracefulShutdownResult.REQUESTS_ACTIVE);
		}
		else {
			logger.info("Graceful shutdown complete");
			callback.shutdownComplete(GracefulShutdownResult.IDLE);
		}
	}

	/** Forgets an earlier shutdown: the server was started again after it. */
	void reset() {
		this.aborted = false;
		this.waiter = null;
	}

	void abort() {
		this.aborted = true;
		Thread thread = this.waiter;
		if (thread != null) {
			thread.interrupt();
		}
	}

}
