// Mirrors the bind-failure handling of Spring Boot 4.1.2's NettyWebServer.start(); keep in step with it.
package dev.prefork.server;

import io.netty.channel.unix.Errors.NativeIoException;
import org.jspecify.annotations.Nullable;
import reactor.netty.ChannelBindException;

import org.springframework.boot.web.server.PortInUseException;

/**
 * Turns a failure to bind the listening socket into Boot's {@link PortInUseException} when the
 * port is taken, so that Boot's failure analyzer reports "Port N is already in use" as it does for
 * its own Netty server. Any other failure is left for the caller to report.
 */
final class PortInUse {

	/** Permission denied, from {@code errno.h}: a port below 1024 is not "in use". */
	private static final int ERROR_NO_EACCES = -13;

	/** Address in use, from {@code errno.h}. */
	private static final int ERROR_ADDR_IN_USE = -98;

	private PortInUse() {
	}

	/** Throws a {@link PortInUseException} if {@code ex} says the port is taken. */
	static void throwIfCausedBy(Exception ex) {
		// The NIO transport reports a taken port as a java.net.BindException "Address already in use".
		PortInUseException.ifCausedBy(ex, ChannelBindException.class, (bindException) -> {
			if (bindException.localPort() > 0 && !isPermissionDenied(bindException.getCause())) {
				PortInUseException.throwIfPortBindingException(bindException, bindException::localPort);
			}
		});
		// The native transports (epoll here) report an errno in a NativeIoException instead, which
		// is no BindException and names no port.
		if (ex instanceof ChannelBindException bindException) {
			PortInUseException.ifCausedBy(ex, NativeIoException.class, (nativeException) -> {
				if (nativeException.expectedErr() == ERROR_ADDR_IN_USE) {
					throw new PortInUseException(bindException.localPort(), ex);
				}
			});
		}
	}

	private static boolean isPermissionDenied(@Nullable Throwable bindExceptionCause) {
		try {
			if (bindExceptionCause instanceof NativeIoException nativeException) {
				return nativeException.expectedErr() == ERROR_NO_EACCES;
			}
		}
		catch (Throwable ex) {
			// As Boot: without the native transport's classes this is no native failure.
		}
		return false;
	}

}
