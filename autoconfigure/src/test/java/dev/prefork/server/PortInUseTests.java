package dev.prefork.server;

import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.stream.Stream;

import io.netty.channel.unix.Errors.NativeIoException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.netty.ChannelBindException;

import org.springframework.boot.web.server.PortInUseException;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.WebServerException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Tests for {@link PortInUse}: a port already taken reaches Boot's own "port already in use"
 * report, as with Boot's Netty server ({@code NettyReactiveWebServerFactoryTests}), and a failed
 * start leaves no Prefork thread behind.
 */
class PortInUseTests {

	@Test
	void portInUseExceptionIsThrownWhenPortIsAlreadyInUse() throws Exception {
		try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
			PreforkReactiveWebServerFactory factory = new PreforkReactiveWebServerFactory(taken.getLocalPort());
			factory.setAddress(InetAddress.getLoopbackAddress());
			WebServer server = factory.getWebServer((request, response) -> response.setComplete());
			assertThatExceptionOfType(PortInUseException.class).isThrownBy(server::start)
				.satisfies((ex) -> assertThat(ex.getPort()).isEqualTo(taken.getLocalPort()))
				.withCauseInstanceOf(Throwable.class);
			assertThat(server.getPort()).isEqualTo(-1);
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> LiveThreads.prefork().isEmpty());
	}

	@Test
	void webServerExceptionIsThrownWhenAddressCannotBeAssigned() throws Exception {
		PreforkReactiveWebServerFactory factory = new PreforkReactiveWebServerFactory(0);
		factory.setAddress(InetAddress.getByName("192.0.2.1")); // TEST-NET-1 (RFC 5737): never a local address
		WebServer server = factory.getWebServer((request, response) -> response.setComplete());
		assertThatExceptionOfType(WebServerException.class).isThrownBy(server::start)
			.isNotInstanceOf(PortInUseException.class);
		await().atMost(Duration.ofSeconds(10)).until(() -> LiveThreads.prefork().isEmpty());
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("bindFailures")
	void onlyAPortTakenBecomesAPortInUseException(String failure, Exception bindFailure, boolean portInUse) {
		if (portInUse) {
			assertThatExceptionOfType(PortInUseException.class).isThrownBy(() -> PortInUse.throwIfCausedBy(bindFailure))
				.satisfies((ex) -> assertThat(ex.getPort()).isEqualTo(8080))
				.withCause(bindFailure);
		}
		else {
			assertThatNoException().isThrownBy(() -> PortInUse.throwIfCausedBy(bindFailure));
		}
	}

	/** How reactor-netty reports a failed bind with the native (epoll) and the NIO transport. */
	static Stream<Arguments> bindFailures() {
		InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
		return Stream.of(
				arguments("epoll, EADDRINUSE",
						ChannelBindException.fail(address, nativeError(-98, "Address already in use")), true),
				arguments("epoll, EACCES", ChannelBindException.fail(address, nativeError(-13, "Permission denied")),
						false),
				arguments("epoll, EADDRNOTAVAIL",
						ChannelBindException.fail(address, nativeError(-99, "Cannot assign requested address")), false),
				arguments("NIO, address in use",
						ChannelBindException.fail(address, new BindException("Address already in use")), true),
				arguments("NIO, cannot assign",
						ChannelBindException.fail(address, new BindException("Cannot assign requested address")),
						false),
				arguments("not a bind failure", new IllegalStateException("Address already in use"), false));
	}

	private static NativeIoException nativeError(int errno, String message) {
		return new NativeIoException("bind(..) failed with error(" + errno + "): " + message, errno);
	}

}
