package dev.prefork.autoconfigure;

import org.junit.jupiter.api.Test;

import dev.prefork.server.PreforkReactiveWebServerFactory;
import dev.prefork.server.ServerSettings;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link PreforkProperties}: every default is the engine's default, so that an
 * application with no {@code prefork.*} property runs exactly as a bare factory does (the way
 * Boot's {@code NettyServerPropertiesTests} pins its defaults to reactor-netty's).
 */
class PreforkPropertiesTests {

	private final PreforkProperties properties = new PreforkProperties();

	private final ServerSettings engine = new PreforkReactiveWebServerFactory().getSettings();

	@Test
	void countDefaultsMatchTheEngines() {
		assertThat(this.properties.getWorkers()).isEqualTo(this.engine.workers());
		assertThat(this.properties.getThreads()).isEqualTo(this.engine.threads());
		assertThat(this.properties.getQueueCapacity()).isEqualTo(this.engine.queueCapacity());
		// Unset, as the engine's: which then derives it from threads and queue capacity.
		assertThat(this.properties.getMaxInFlight()).isNull();
		assertThat(this.engine.maxInFlight()).isEqualTo(this.engine.threads() + this.engine.queueCapacity());
		assertThat(this.properties.getBacklog()).isEqualTo(this.engine.backlog());
		assertThat(this.properties.getIoThreads()).isEqualTo(this.engine.ioThreads());
		assertThat(this.properties.getMaxRequests()).isEqualTo(this.engine.maxRequests());
		assertThat(this.properties.getMaxRequestsJitter()).isEqualTo(this.engine.maxRequestsJitter());
		assertThat(this.properties.getLimitRequestLine()).isEqualTo(this.engine.limitRequestLine());
		assertThat(this.properties.getLimitRequestFields()).isEqualTo(this.engine.limitRequestFields());
		assertThat(this.properties.getLimitRequestFieldSize()).isEqualTo(this.engine.limitRequestFieldSize());
		assertThat(this.properties.getManagementThreads()).isEqualTo(this.engine.managementThreads());
		assertThat(this.properties.getExceptions().getCapacity()).isEqualTo(this.engine.exceptionCapacity());
	}

	@Test
	void durationDefaultsMatchTheEngines() {
		assertThat(this.properties.getTimeout()).isEqualTo(this.engine.heartbeatTimeout());
		assertThat(this.properties.getRequestTimeout()).isEqualTo(this.engine.requestTimeout());
		assertThat(this.properties.getGracefulTimeout()).isEqualTo(this.engine.gracefulTimeout());
		assertThat(this.properties.getMaxWorkerLifetime()).isEqualTo(this.engine.maxWorkerLifetime());
		assertThat(this.properties.getKeepalive()).isEqualTo(this.engine.keepAlive());
		assertThat(this.properties.getHeaderTimeout()).isEqualTo(this.engine.headerTimeout());
		assertThat(this.properties.getStreamIdleTimeout()).isEqualTo(this.engine.streamIdleTimeout());
		assertThat(this.properties.getRetryAfter()).isEqualTo(this.engine.retryAfter());
	}

}
