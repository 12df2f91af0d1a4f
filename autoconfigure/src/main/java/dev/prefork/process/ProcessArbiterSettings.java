package dev.prefork.process;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * What the process arbiter runs with, read from the application's configuration before any of
 * its beans exist.
 *
 * @param workers worker JVMs to keep running ({@code prefork.workers})
 * @param threads request threads in each worker ({@code prefork.threads}), for the log
 * @param address address to listen on ({@code server.address}), {@code null} for every address
 * @param port port to listen on ({@code server.port}), 0 for any free one
 * @param backlog the listening socket's accept queue ({@code prefork.backlog})
 * @param timeout how long a worker may go without a heartbeat, or with every thread busy and no
 * request finished, before it is replaced ({@code prefork.timeout}); zero disables
 * @param bootTimeout how long a worker JVM may take to boot and say it is ready
 * @param gracefulTimeout how long a stopping worker may take to finish its requests before it is
 * killed ({@code spring.lifecycle.timeout-per-shutdown-phase})
 * @param recycling when a worker JVM is replaced by a fresh one
 * @param management the management server's socket, shared like the application's, or
 * {@code null} when the actuator is served on the application's port
 * @param cdsDirectory where the jar is extracted and its CDS archive trained for the worker JVMs
 * ({@code prefork.process.cds-directory}), {@code null} to run the jar as it is
 */
public record ProcessArbiterSettings(int workers, int threads, @Nullable InetAddress address, int port, int backlog,
		Duration timeout, Duration bootTimeout, Duration gracefulTimeout, Recycling recycling,
		@Nullable Listener management, @Nullable Path cdsDirectory) {

	/**
	 * A second listening socket the arbiter binds and shares: the management server's.
	 *
	 * @param address address to listen on ({@code management.server.address}), {@code null} for every address
	 * @param port port to listen on ({@code management.server.port}), 0 for any free one
	 */
	public record Listener(@Nullable InetAddress address, int port) {
	}


	/**
	 * When a worker JVM is recycled: replaced by a new one (ready first), then stopped gracefully.
	 *
	 * @param maxRequests requests after which a worker is recycled, 0 for never ({@code prefork.max-requests})
	 * @param maxRequestsJitter random extra requests per worker, so that they are not all recycled at once
	 * @param maxLifetime age after which a worker is recycled, {@code null} for never
	 * ({@code prefork.max-worker-lifetime}); each worker gets up to a tenth more, at random
	 * @param maxMemory private memory (bytes, from {@code /proc/<pid>/smaps_rollup}) over which a
	 * worker is recycled, 0 for no limit ({@code prefork.process.max-memory})
	 */
	public record Recycling(long maxRequests, long maxRequestsJitter, @Nullable Duration maxLifetime, long maxMemory) {

		public static final Recycling NEVER = new Recycling(0, 0, null, 0);

	}

}
