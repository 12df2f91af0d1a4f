/**
 * Process mode: an arbiter process that binds the listening socket, hands it to worker JVMs
 * over a Unix domain socket (SCM_RIGHTS) and supervises them as gunicorn supervises its worker
 * processes. Depends on the JDK and Netty's epoll transport only.
 */
@NullMarked
package dev.prefork.process;

import org.jspecify.annotations.NullMarked;
