package dev.prefork.autoconfigure;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;

import dev.prefork.server.InvalidSettingException;
import dev.prefork.server.PreforkReactiveWebServerFactory;

/**
 * Applies {@code prefork.*} to any {@link PreforkReactiveWebServerFactory}, the auto-configured
 * one or an application's own, as Boot's {@code NettyReactiveWebServerFactoryCustomizer} does
 * for {@code server.netty.*}. The factory checks each value against the range the engine can
 * use; a value it refuses fails startup naming the property.
 */
class PreforkReactiveWebServerFactoryCustomizer
		implements WebServerFactoryCustomizer<PreforkReactiveWebServerFactory>, Ordered {

	private final PreforkProperties properties;

	private final boolean virtualThreads;

	PreforkReactiveWebServerFactoryCustomizer(PreforkProperties properties, boolean virtualThreads) {
		this.properties = properties;
		this.virtualThreads = virtualThreads;
	}

	@Override
	public int getOrder() {
		return 0;
	}

	@Override
	public void customize(PreforkReactiveWebServerFactory factory) {
		try {
			apply(factory);
		}
		catch (InvalidSettingException ex) {
			throw new InvalidPreforkPropertyException("prefork." + ex.getSetting(), print(ex.getValue()),
					ex.getAccepted());
		}
	}

	private void apply(PreforkReactiveWebServerFactory factory) {
		PreforkProperties properties = this.properties;
		PropertyMapper map = PropertyMapper.get();
		map.from(properties::getWorkers).to(factory::setWorkers);
		map.from(properties::getThreads).to(factory::setThreads);
		factory.setVirtualThreads(this.virtualThreads);
		map.from(properties::getQueueCapacity).to(factory::setQueueCapacity);
		map.from(properties::getMaxInFlight).always().to(factory::setMaxInFlight);
		map.from(properties::getBacklog).to(factory::setBacklog);
		map.from(properties::getIoThreads).to(factory::setIoThreads);
		map.from(properties::getTimeout).always().to(factory::setTimeout);
		map.from(properties::getRequestTimeout).always().to(factory::setRequestTimeout);
		map.from(properties::getGracefulTimeout).always().to(factory::setGracefulTimeout);
		map.from(properties::getMaxRequests).to(factory::setMaxRequests);
		map.from(properties::getMaxRequestsJitter).to(factory::setMaxRequestsJitter);
		map.from(properties::getMaxWorkerLifetime).always().to(factory::setMaxWorkerLifetime);
		map.from(properties::getKeepalive).always().to(factory::setKeepAlive);
		map.from(properties::getHeaderTimeout).always().to(factory::setHeaderTimeout);
		map.from(properties::getStreamIdleTimeout).always().to(factory::setStreamIdleTimeout);
		map.from(properties::getLimitRequestLine).to(factory::setLimitRequestLine);
		map.from(properties::getLimitRequestFields).to(factory::setLimitRequestFields);
		map.from(properties::getLimitRequestFieldSize).to(factory::setLimitRequestFieldSize);
		map.from(properties::getRetryAfter).always().to(factory::setRetryAfter);
		map.from(properties.getExceptions()::getCapacity).to(factory::setExceptionCapacity);
		map.from(properties::getManagementThreads).to(factory::setManagementThreads);
		map.from(properties::getServerHeader).to(factory::setServerHeader);
		map.from(properties.getAccessLog()::isEnabled).to(factory::setAccessLogEnabled);
		map.from(properties.getAccessLog()::getFormat).to(factory::setAccessLogFormat);
	}

	/** Shows a duration the way it is written in application.yml ({@code -1s}), not as {@code PT-1S}. */
	private static @Nullable Object print(@Nullable Object value) {
		return (value instanceof Duration duration) ? DurationStyle.SIMPLE.print(duration) : value;
	}

}
