package dev.prefork.server;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundleKey;
import org.springframework.boot.ssl.jks.JksSslStoreBundle;
import org.springframework.boot.ssl.jks.JksSslStoreDetails;
import org.springframework.boot.web.server.Ssl;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A self-signed certificate for {@code localhost} and the loopback address, made by the JDK's
 * {@code keytool} into a PKCS12 keystore: the server gets it through Boot's {@link Ssl}, clients
 * trust exactly it.
 */
final class TestCertificate {

	private static final String PASSWORD = "prefork";

	private final Path keyStore;

	private final TrustManagerFactory trust;

	private TestCertificate(Path keyStore, TrustManagerFactory trust) {
		this.keyStore = keyStore;
		this.trust = trust;
	}

	static TestCertificate create(Path directory) throws Exception {
		return create(directory, "localhost");
	}

	/** A certificate for {@code hostName} (and the loopback address). */
	static TestCertificate create(Path directory, String hostName) throws Exception {
		Path keyStore = directory.resolve(hostName + ".p12");
		String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
		Process process = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname",
				"secp256r1", "-validity", "2", "-dname", "CN=" + hostName, "-ext",
				"SAN=dns:" + hostName + ",ip:" + InetAddress.getLoopbackAddress().getHostAddress(), "-storetype", "PKCS12",
				"-keystore", keyStore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
			.redirectErrorStream(true)
			.start();
		assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("keytool finished").isTrue();
		assertThat(process.exitValue()).as(new String(process.getInputStream().readAllBytes())).isZero();
		KeyStore store = load(keyStore);
		TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
		trust.init(store);
		return new TestCertificate(keyStore, trust);
	}

	/** Boot's SSL settings for a server presenting this certificate. */
	Ssl ssl() {
		Ssl ssl = new Ssl();
		ssl.setKeyStore(this.keyStore.toUri().toString());
		ssl.setKeyStoreType("PKCS12");
		ssl.setKeyStorePassword(PASSWORD);
		return ssl;
	}

	/** The same certificate as an SSL bundle, as {@code spring.ssl.bundle.jks.*} would make it. */
	SslBundle bundle() {
		return SslBundle.of(new JksSslStoreBundle(
				new JksSslStoreDetails("PKCS12", null, this.keyStore.toUri().toString(), PASSWORD), null),
				SslBundleKey.of(PASSWORD));
	}

	/** Its key and certificate, for a client that must present a certificate (mutual TLS). */
	KeyManagerFactory keys() throws Exception {
		KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
		keys.init(load(this.keyStore), PASSWORD.toCharArray());
		return keys;
	}

	/** Writes the certificate and its private key (PKCS #8) as PEM files: {@code [certificate, key]}. */
	Path[] writePem(Path directory) throws Exception {
		KeyStore store = load(this.keyStore);
		Base64.Encoder base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
		Path certificate = directory.resolve("cert.pem");
		Files.writeString(certificate, "-----BEGIN CERTIFICATE-----\n"
				+ base64.encodeToString(store.getCertificate("server").getEncoded()) + "\n-----END CERTIFICATE-----\n");
		Path key = directory.resolve("key.pem");
		Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n"
				+ base64.encodeToString(store.getKey("server", PASSWORD.toCharArray()).getEncoded())
				+ "\n-----END PRIVATE KEY-----\n");
		return new Path[] { certificate, key };
	}

	private static KeyStore load(Path keyStore) throws Exception {
		KeyStore store = KeyStore.getInstance("PKCS12");
		try (InputStream input = Files.newInputStream(keyStore)) {
			store.load(input, PASSWORD.toCharArray());
		}
		return store;
	}

	/** A client context that trusts whatever certificate a server shows, presenting {@code keys} if any. */
	static SSLContext trustingEverything(KeyManager @Nullable [] keys) throws Exception {
		X509TrustManager trustingEverything = new X509TrustManager() {

			@Override
			public void checkClientTrusted(X509Certificate[] chain, String authType) {
			}

			@Override
			public void checkServerTrusted(X509Certificate[] chain, String authType) {
			}

			@Override
			public X509Certificate[] getAcceptedIssuers() {
				return new X509Certificate[0];
			}

		};
		SSLContext context = SSLContext.getInstance("TLS");
		context.init(keys, new TrustManager[] { trustingEverything }, null);
		return context;
	}

	TrustManagerFactory trust() {
		return this.trust;
	}

	SSLContext clientContext() throws Exception {
		SSLContext context = SSLContext.getInstance("TLS");
		context.init(null, this.trust.getTrustManagers(), null);
		return context;
	}

	/** A TLS socket that offers only the given protocols through ALPN, handshake done. */
	SSLSocket connect(int port, String... applicationProtocols) throws Exception {
		SSLSocket socket = (SSLSocket) clientContext().getSocketFactory().createSocket();
		socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
		SSLParameters parameters = socket.getSSLParameters();
		parameters.setApplicationProtocols(applicationProtocols);
		socket.setSSLParameters(parameters);
		socket.setSoTimeout(15_000);
		socket.startHandshake();
		return socket;
	}

}
