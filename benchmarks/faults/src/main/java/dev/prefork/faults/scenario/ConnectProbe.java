package dev.prefork.faults.scenario;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Tries a new TCP connection every 20 ms: after SIGTERM the listening socket must close (new
 * connections refused) and stay closed. Records when the first refusal came and whether any
 * connection was accepted after it.
 */
final class ConnectProbe implements AutoCloseable {

	private final InetSocketAddress address;

	private final long startNanos = System.nanoTime();

	private final Thread thread;

	private volatile boolean running = true;

	private volatile long firstRefusalNanos;

	private volatile int acceptedAfterRefusal;

	private volatile int acceptedBeforeRefusal;

	ConnectProbe(InetSocketAddress address) {
		this.address = address;
		this.thread = new Thread(this::probe, "faults-connect-probe");
		this.thread.setDaemon(true);
		this.thread.start();
	}

	private void probe() {
		while (this.running) {
			try (Socket socket = new Socket()) {
				socket.connect(this.address, 500);
				if (this.firstRefusalNanos != 0) {
					this.acceptedAfterRefusal++;
				}
				else {
					this.acceptedBeforeRefusal++;
				}
			}
			catch (ConnectException ex) {
				if (this.firstRefusalNanos == 0) {
					this.firstRefusalNanos = System.nanoTime();
				}
			}
			catch (IOException ex) {
				// A connect timeout says nothing either way; try again.
			}
			try {
				Thread.sleep(20);
			}
			catch (InterruptedException ex) {
				return;
			}
		}
	}

	/** Seconds from the probe's start to the first refused connection, or -1 if none was refused. */
	double secondsToFirstRefusal() {
		return (this.firstRefusalNanos == 0) ? -1 : (this.firstRefusalNanos - this.startNanos) / 1e9;
	}

	int acceptedAfterRefusal() {
		return this.acceptedAfterRefusal;
	}

	int acceptedBeforeRefusal() {
		return this.acceptedBeforeRefusal;
	}

	@Override
	public void close() throws InterruptedException {
		this.running = false;
		this.thread.interrupt();
		this.thread.join(5_000);
	}

}
