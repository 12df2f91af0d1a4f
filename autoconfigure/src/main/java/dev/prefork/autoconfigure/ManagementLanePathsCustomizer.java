package dev.prefork.autoconfigure;

import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

import dev.prefork.server.PreforkReactiveWebServerFactory;

/**
 * Tells the server which requests are the actuator's, so that they run on the management lane:
 * everything under the actuator's base path when the actuator is served by this server (not on a
 * management port of its own), and Boot's health probes on the main port ({@code /livez},
 * {@code /readyz}, with {@code management.endpoint.health.probes.add-additional-paths}) wherever the
 * actuator is, since a probe refused for overload gets a pod restarted. Both under
 * {@code spring.webflux.base-path}, as Boot serves them.
 */
class ManagementLanePathsCustomizer implements WebServerFactoryCustomizer<PreforkReactiveWebServerFactory>, Ordered {

	private static final String MANAGEMENT_PORT_TYPE = "org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType";

	private final @Nullable String prefix;

	private final List<String> probePaths;

	ManagementLanePathsCustomizer(Environment environment) {
		boolean actuator = ClassUtils.isPresent(MANAGEMENT_PORT_TYPE, getClass().getClassLoader());
		String webfluxBasePath = asBootCleansIt(environment.getProperty("spring.webflux.base-path", ""));
		this.prefix = (actuator) ? actuatorBasePath(environment, webfluxBasePath) : null;
		boolean probes = actuator
				&& environment.getProperty("management.endpoint.health.probes.add-additional-paths", Boolean.class, false);
		this.probePaths = probes ? List.of(webfluxBasePath + "/livez", webfluxBasePath + "/readyz") : List.of();
	}

	@Override
	public int getOrder() {
		return 1;
	}

	@Override
	public void customize(PreforkReactiveWebServerFactory factory) {
		factory.setManagementPathPrefix(this.prefix);
		factory.setManagementPaths(this.probePaths);
	}

	private static @Nullable String actuatorBasePath(Environment environment, String webfluxBasePath) {
		if (ManagementPort.isDifferent(environment)) {
			return null;
		}
		String basePath = environment.getProperty("management.endpoints.web.base-path", "/actuator");
		// A base path Boot refuses (no leading '/') gets no lane: Boot's own binding reports it.
		// Boot drops a trailing '/'; what is left empty is the root, shared with the application.
		if (!basePath.startsWith("/")) {
			return null;
		}
		String cleaned = withoutTrailingSlash(basePath);
		return cleaned.isEmpty() ? null : webfluxBasePath + cleaned;
	}

	/**
	 * {@code spring.webflux.base-path} as Boot serves it: stripped, with a leading {@code /} and
	 * no trailing one ({@code app/} is {@code /app}), or empty.
	 */
	private static String asBootCleansIt(String path) {
		String cleaned = path.strip();
		if (cleaned.isEmpty()) {
			return "";
		}
		return withoutTrailingSlash(cleaned.startsWith("/") ? cleaned : "/" + cleaned);
	}

	private static String withoutTrailingSlash(String path) {
		return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
	}

	/** Boot's own reading of {@code management.server.port} (0 on both is two ports, not one). */
	private static final class ManagementPort {

		static boolean isDifferent(Environment environment) {
			return ManagementPortType.get(environment) != ManagementPortType.SAME;
		}

	}

}
