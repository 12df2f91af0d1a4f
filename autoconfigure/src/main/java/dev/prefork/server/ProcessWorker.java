package dev.prefork.server;

import java.nio.file.Path;

/**
 * That this JVM is a worker of a process arbiter (process mode): the control socket to ask for
 * the listening socket on, and the worker's number.
 *
 * @param controlSocket the arbiter's control socket
 * @param id the worker's number
 */
public record ProcessWorker(Path controlSocket, int id) {
}
