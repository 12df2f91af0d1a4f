package dev.prefork.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.web.server.Ssl;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Boot's SSL bundles on a real TLS server, as Boot's own reactive server tests check them: a
 * bundle updated while the server runs ({@code reload-on-update}) is what the next connection
 * gets, and per-hostname bundles ({@code server.ssl.server-name-bundles}) answer the clients that
 * ask for that name (SNI), the default bundle every other client. The client trusts every
 * certificate and reports the one it was shown.
 */
class TlsBundleTests {

	private static TestCertificate first;

	private static TestCertificate second;

	private static TestCertificate alpha;

	@BeforeAll
	static void certificates(@TempDir Path directory) throws Exception {
		first = TestCertificate.create(directory, "localhost");
		second = TestCertificate.create(directory, "second.localhost");
		alpha = TestCertificate.create(directory, "alpha.example");
	}

	@Test
	void anUpdatedBundleIsWhatTheNextConnectionGets() throws Exception {
		DefaultSslBundleRegistry bundles = new DefaultSslBundleRegistry("server", first.bundle());
		try (TestServer server = TestServer.start((factory) -> secure(factory, bundles, List.of()))) {
			assertThat(presented(server.port(), "localhost")).isEqualTo("CN=localhost");
			assertThat(presented(server.port(), null)).as("without SNI").isEqualTo("CN=localhost");

			bundles.updateBundle("server", second.bundle());

			assertThat(presented(server.port(), "localhost")).isEqualTo("CN=second.localhost");
			assertThat(presented(server.port(), null)).as("without SNI").isEqualTo("CN=second.localhost");
		}
	}

	@Test
	void aServerNameBundleAnswersTheClientsThatAskForThatName() throws Exception {
		DefaultSslBundleRegistry bundles = new DefaultSslBundleRegistry("server", first.bundle());
		bundles.registerBundle("alpha", alpha.bundle());
		try (TestServer server = TestServer.start((factory) -> secure(factory, bundles,
				List.of(new Ssl.ServerNameSslBundle("alpha.example", "alpha"))))) {
			assertThat(presented(server.port(), "alpha.example")).isEqualTo("CN=alpha.example");
			assertThat(presented(server.port(), "localhost")).isEqualTo("CN=localhost");
			assertThat(presented(server.port(), null)).isEqualTo("CN=localhost");

			bundles.updateBundle("alpha", second.bundle());

			assertThat(presented(server.port(), "alpha.example")).as("its bundle updated")
				.isEqualTo("CN=second.localhost");
			assertThat(presented(server.port(), "localhost")).isEqualTo("CN=localhost");
		}
	}

	private static void secure(PreforkReactiveWebServerFactory factory, DefaultSslBundleRegistry bundles,
			List<Ssl.ServerNameSslBundle> serverNameBundles) {
		Ssl ssl = new Ssl();
		ssl.setBundle("server");
		ssl.setServerNameBundles(serverNameBundles);
		factory.setSsl(ssl);
		factory.setSslBundles(bundles);
		factory.setAddress(InetAddress.getLoopbackAddress());
	}

	/** The subject of the certificate the server shows a client that asks for {@code serverName}. */
	private static String presented(int port, String serverName) throws Exception {
		SSLContext context = TestCertificate.trustingEverything(null);
		try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
			SSLParameters parameters = socket.getSSLParameters();
			parameters.setServerNames((serverName != null) ? List.of(new SNIHostName(serverName)) : List.of());
			socket.setSSLParameters(parameters);
			socket.setSoTimeout(10_000);
			socket.startHandshake();
			X509Certificate certificate = (X509Certificate) socket.getSession().getPeerCertificates()[0];
			return certificate.getSubjectX500Principal().getName();
		}
	}

}
