package dev.prefork.autoconfigure;

import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.boot.web.server.autoconfigure.ServerProperties.ForwardHeadersStrategy;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

import dev.prefork.server.PreforkReactiveWebServerFactory;

/**
 * Applies {@code server.forward-headers-strategy} as Boot's Netty server does: {@code native} has
 * the server read {@code Forwarded} and {@code X-Forwarded-*}; left unset, it does so on a cloud
 * platform that sits behind a proxy (Kubernetes, Cloud Foundry, Heroku...), detected as Boot
 * detects it; {@code framework} and {@code none} leave the headers to the application.
 */
class ForwardHeadersCustomizer implements WebServerFactoryCustomizer<PreforkReactiveWebServerFactory>, Ordered {

	private final ServerProperties serverProperties;

	private final Environment environment;

	ForwardHeadersCustomizer(ServerProperties serverProperties, Environment environment) {
		this.serverProperties = serverProperties;
		this.environment = environment;
	}

	@Override
	public int getOrder() {
		return 0;
	}

	@Override
	public void customize(PreforkReactiveWebServerFactory factory) {
		factory.setUseForwardHeaders(useForwardHeaders());
	}

	private boolean useForwardHeaders() {
		ForwardHeadersStrategy strategy = this.serverProperties.getForwardHeadersStrategy();
		if (strategy == null) {
			CloudPlatform platform = CloudPlatform.getActive(this.environment);
			return platform != null && platform.isUsingForwardHeaders();
		}
		return strategy == ForwardHeadersStrategy.NATIVE;
	}

}
