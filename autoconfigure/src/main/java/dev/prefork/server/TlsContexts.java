package dev.prefork.server;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.handler.ssl.ClientAuth;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.Http2SslContextSpec;
import reactor.netty.http.server.HttpServer;
import reactor.netty.tcp.AbstractProtocolSslContextSpec;
import reactor.netty.tcp.SslProvider;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslOptions;
import org.springframework.boot.web.server.Ssl;

/**
 * The TLS contexts a server presents: one for each server name a client may ask for (SNI, Boot's
 * {@code server.ssl.server-name-bundles}) and one for every other client. Each is replaced when
 * its SSL bundle is updated (a renewed certificate with {@code reload-on-update}); connections
 * made from then on get the new one, those already open keep theirs, as on Boot's Netty server.
 */
final class TlsContexts {

	private static final Log logger = LogFactory.getLog(TlsContexts.class);

	private final boolean http2;

	private final ClientAuth clientAuth;

	private volatile SslProvider fallback;

	private final Map<String, SslProvider> byServerName = new ConcurrentHashMap<>();

	TlsContexts(boolean http2, Ssl.@Nullable ClientAuth clientAuth, SslBundle bundle,
			Map<String, SslBundle> serverNameBundles) {
		this.http2 = http2;
		this.clientAuth = Ssl.ClientAuth.map(clientAuth, ClientAuth.NONE, ClientAuth.OPTIONAL, ClientAuth.REQUIRE);
		this.fallback = provider(bundle);
		serverNameBundles.forEach((serverName, serverNameBundle) -> this.byServerName.put(serverName,
				provider(serverNameBundle)));
	}

	/**
	 * Secures {@code server}. Every handshake looks its context up here, through the SNI mapping
	 * (which Netty calls without a name when the client sends none), so that an update reaches
	 * the next connection without rebinding.
	 */
	HttpServer secure(HttpServer server) {
		return server.secure((spec) -> spec.sslContext(this.fallback.getSslContext())
			.setSniAsyncMappings((serverName, promise) -> promise.setSuccess(forServerName(serverName))));
	}

	SslProvider forServerName(@Nullable String serverName) {
		SslProvider named = (serverName != null) ? this.byServerName.get(serverName) : null;
		return (named != null) ? named : this.fallback;
	}

	/** The bundle for {@code serverName} ({@code null}: for every other client) was updated. */
	void update(@Nullable String serverName, SslBundle bundle) {
		SslProvider provider = provider(bundle);
		if (serverName == null) {
			this.fallback = provider;
		}
		else {
			this.byServerName.put(serverName, provider);
		}
		logger.info("Reloaded the TLS certificate" + ((serverName != null) ? " for " + serverName : "")
				+ " from its updated SSL bundle");
	}

	private SslProvider provider(SslBundle bundle) {
		AbstractProtocolSslContextSpec<?> spec = this.http2
				? Http2SslContextSpec.forServer(bundle.getManagers().getKeyManagerFactory())
				: Http11SslContextSpec.forServer(bundle.getManagers().getKeyManagerFactory());
		SslOptions options = bundle.getOptions();
		spec.configure((builder) -> builder.trustManager(bundle.getManagers().getTrustManagerFactory())
			.protocols(options.getEnabledProtocols())
			.ciphers(SslOptions.asSet(options.getCiphers()))
			.clientAuth(this.clientAuth));
		return SslProvider.builder().sslContext(spec).build();
	}

}
