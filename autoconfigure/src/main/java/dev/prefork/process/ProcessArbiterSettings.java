package dev.prefork.process;

import java.net.InetAddress;
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
 */
public record ProcessArbiterSettings(int workers, int threads, @Nullable InetAddress address, int port, int backlog,
		Duration timeout, Duration bootTimeout, Duration gracefulTimeout) {
}
