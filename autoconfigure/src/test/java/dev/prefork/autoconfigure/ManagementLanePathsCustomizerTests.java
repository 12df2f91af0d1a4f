package dev.prefork.autoconfigure;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.mock.env.MockEnvironment;

import dev.prefork.server.PreforkReactiveWebServerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The management lane's prefix is the actuator's path as Boot serves it: the base paths cleaned
 * the way Boot cleans them (a trailing slash dropped, a WebFlux base path stripped and given its
 * leading slash); a root actuator shares the application's paths and gets no lane.
 */
class ManagementLanePathsCustomizerTests {

	@ParameterizedTest(name = "webflux ''{0}'', actuator ''{1}'' -> {2}")
	@CsvSource(delimiter = '|', nullValues = "none", textBlock = """
			''            | /actuator   | /actuator
			''            | /actuator/  | /actuator
			''            | /manage     | /manage
			app           | /actuator/  | /app/actuator
			'\u2003app/'  | /actuator   | /app/actuator
			/app          | /           | none
			''            | ''          | none
			""")
	void theLanePrefixIsTheActuatorsPathAsBootServesIt(String webfluxBasePath, String actuatorBasePath,
			String prefix) {
		MockEnvironment environment = new MockEnvironment().withProperty("spring.webflux.base-path", webfluxBasePath)
			.withProperty("management.endpoints.web.base-path", actuatorBasePath);
		PreforkReactiveWebServerFactory factory = new PreforkReactiveWebServerFactory();
		new ManagementLanePathsCustomizer(environment).customize(factory);
		assertThat(factory.getSettings().managementPathPrefix()).isEqualTo(prefix);
	}

}
