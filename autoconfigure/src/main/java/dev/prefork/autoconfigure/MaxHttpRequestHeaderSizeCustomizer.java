package dev.prefork.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

import dev.prefork.server.InvalidSettingException;
import dev.prefork.server.PreforkReactiveWebServerFactory;
import dev.prefork.server.ServerSettings;

/**
 * Applies Boot's {@code server.max-http-request-header-size} when the application sets it, with
 * the meaning it has on Boot's Netty server: the most a request's whole header section may take.
 * A single field line may then be as long (up to 64 KiB), unless
 * {@code prefork.limit-request-field-size} is set too, which keeps its own per-line bound (gunicorn's).
 * Left unset, Prefork's field limits alone bound the section, as before: Boot's 8 KB default is
 * not applied, since it would refuse what {@code limit-request-fields} allows.
 */
class MaxHttpRequestHeaderSizeCustomizer implements WebServerFactoryCustomizer<PreforkReactiveWebServerFactory>, Ordered {

	static final String PROPERTY = "server.max-http-request-header-size";

	private final @Nullable DataSize maxHttpRequestHeaderSize;

	private final boolean fieldSizeSet;

	MaxHttpRequestHeaderSizeCustomizer(Environment environment) {
		Binder binder = Binder.get(environment);
		this.maxHttpRequestHeaderSize = binder.bind(PROPERTY, DataSize.class).orElse(null);
		this.fieldSizeSet = binder.bind("prefork.limit-request-field-size", Integer.class).isBound();
	}

	/**
	 * After {@link PreforkReactiveWebServerFactoryCustomizer} (and the management server's), whose
	 * field size this may raise.
	 */
	@Override
	public int getOrder() {
		return 2;
	}

	@Override
	public void customize(PreforkReactiveWebServerFactory factory) {
		DataSize size = this.maxHttpRequestHeaderSize;
		if (size == null) {
			return;
		}
		long bytes = size.toBytes();
		try {
			factory.setHeaderSectionLimit((int) Math.min(Integer.MAX_VALUE, Math.max(Integer.MIN_VALUE, bytes)));
		}
		catch (InvalidSettingException ex) {
			throw new InvalidPreforkPropertyException(PROPERTY, size,
					"sizes from " + (ServerSettings.MIN_HEADER_SECTION_LIMIT / 1024) + "KB to "
							+ (ServerSettings.MAX_HEADER_SECTION_LIMIT / (1024 * 1024)) + "MB");
		}
		if (!this.fieldSizeSet) {
			factory.setLimitRequestFieldSize((int) Math.min(bytes, ServerSettings.MAX_LIMIT_REQUEST_FIELD_SIZE));
		}
	}

}
