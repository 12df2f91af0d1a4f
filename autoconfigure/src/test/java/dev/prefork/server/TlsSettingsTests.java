package dev.prefork.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Boot's {@code server.ssl.*} on a real TLS server, the cases Boot's own reactive server tests
 * check: a key alias that exists is served and one that does not fails startup naming it; client
 * certificates wanted or needed; PEM certificate and key; SSL enabled with no key material fails
 * startup. The client trusts any server certificate and sends one GET over raw TLS.
 */
class TlsSettingsTests {

	private static TestCertificate certificate;

	@TempDir
	static Path directory;

	@BeforeAll
	static void certificate() throws Exception {
		certificate = TestCertificate.create(directory);
	}

	@Test
	void aKeyAliasInTheKeyStoreIsServed() throws Exception {
		Ssl ssl = certificate.ssl();
		ssl.setKeyAlias("server");
		try (TestServer server = TestServer.start((factory) -> secure(factory, ssl))) {
			assertThat(get(server.port(), null)).startsWith("HTTP/1.1 200");
		}
	}

	@Test
	void aKeyAliasNotInTheKeyStoreFailsStartupNamingIt() {
		Ssl ssl = certificate.ssl();
		ssl.setKeyAlias("no-such-alias");
		assertThatException().isThrownBy(() -> TestServer.start((factory) -> secure(factory, ssl)).close())
			.withStackTraceContaining("Keystore does not contain alias 'no-such-alias'");
	}

	@Test
	void sslWithoutKeyMaterialFailsStartup() {
		Ssl ssl = new Ssl();
		assertThatException().isThrownBy(() -> TestServer.start((factory) -> secure(factory, ssl)).close())
			.withStackTraceContaining("SSL is enabled but no trust material is configured");
	}

	@Test
	void aNeededClientCertificateIsRequired() throws Exception {
		Ssl ssl = mutual(Ssl.ClientAuth.NEED);
		try (TestServer server = TestServer.start((factory) -> secure(factory, ssl))) {
			assertThat(get(server.port(), certificate.keys().getKeyManagers())).startsWith("HTTP/1.1 200");
			assertThatException().as("without a client certificate").isThrownBy(() -> get(server.port(), null));
			assertThat(server.invocations("/hello")).isEqualTo(1);
		}
	}

	@Test
	void aWantedClientCertificateMayBeLeftOut() throws Exception {
		Ssl ssl = mutual(Ssl.ClientAuth.WANT);
		try (TestServer server = TestServer.start((factory) -> secure(factory, ssl))) {
			assertThat(get(server.port(), certificate.keys().getKeyManagers())).startsWith("HTTP/1.1 200");
			assertThat(get(server.port(), null)).startsWith("HTTP/1.1 200");
		}
	}

	@Test
	void aPemCertificateAndKeyAreServed() throws Exception {
		Path[] pem = certificate.writePem(directory);
		Ssl ssl = new Ssl();
		ssl.setCertificate(pem[0].toUri().toString());
		ssl.setCertificatePrivateKey(pem[1].toUri().toString());
		try (TestServer server = TestServer.start((factory) -> secure(factory, ssl))) {
			assertThat(get(server.port(), null)).startsWith("HTTP/1.1 200");
		}
	}

	@Test
	void aDestroyedServerReportsPortMinusOne() {
		TestServer server = TestServer.start((factory) -> secure(factory, certificate.ssl()));
		WebServer webServer = server.server;
		assertThat(webServer.getPort()).isPositive();
		webServer.destroy();
		assertThat(webServer.getPort()).isEqualTo(-1);
		server.close();
	}

	private static Ssl mutual(Ssl.ClientAuth clientAuth) {
		Ssl ssl = certificate.ssl();
		ssl.setClientAuth(clientAuth);
		// The client presents the server's own self-signed certificate, so the server trusts it.
		ssl.setTrustStore(ssl.getKeyStore());
		ssl.setTrustStoreType("PKCS12");
		ssl.setTrustStorePassword(ssl.getKeyStorePassword());
		return ssl;
	}

	private static void secure(PreforkReactiveWebServerFactory factory, Ssl ssl) {
		factory.setSsl(ssl);
		factory.setAddress(InetAddress.getLoopbackAddress());
	}

	/** The status line and headers of {@code GET /hello} over TLS, with a client certificate if given. */
	private static String get(int port, KeyManager[] clientKeys) throws Exception {
		SSLContext context = TestCertificate.trustingEverything(clientKeys);
		try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
			socket.setSoTimeout(10_000);
			socket.getOutputStream()
				.write("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
					.getBytes(StandardCharsets.US_ASCII));
			return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
		}
	}

}
