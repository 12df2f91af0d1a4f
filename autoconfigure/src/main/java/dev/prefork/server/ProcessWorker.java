package dev.prefork.server;

import java.nio.file.Path;

import org.jspecify.annotations.Nullable;

/**
 * That this JVM is a worker of a process arbiter (process mode): the control socket to ask for
 * the listening sockets on, and the worker's number.
 *
 * @param controlSocket the arbiter's control socket
 * @param id the worker's number
 * @param sharesManagementSocket whether the arbiter also shares the management server's socket
 * ({@code management.server.port}), which this JVM's management server then serves on
 * @param scoreboard the scoreboard the worker JVMs share, or {@code null}
 * @param slot this worker's slot in it
 */
public record ProcessWorker(Path controlSocket, int id, boolean sharesManagementSocket, @Nullable Path scoreboard,
		int slot) {
}
