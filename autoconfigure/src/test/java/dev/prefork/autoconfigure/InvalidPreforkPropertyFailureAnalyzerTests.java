package dev.prefork.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.reactor.netty.autoconfigure.NettyReactiveWebServerAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.core.env.Environment;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.io.support.SpringFactoriesLoader.ArgumentResolver;
import org.springframework.core.io.support.SpringFactoriesLoader.FailureHandler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A bad {@code prefork.*} value is reported at startup with the property, the value and the
 * accepted values, because the analyzer is registered in {@code META-INF/spring.factories} where
 * Boot looks for failure analyzers.
 */
@ExtendWith(OutputCaptureExtension.class)
class InvalidPreforkPropertyFailureAnalyzerTests {

	@Test
	void descriptionNamesThePropertyAndValueAndActionNamesTheAcceptedValues() {
		InvalidPreforkPropertyException failure = new InvalidPreforkPropertyException("prefork.workers", 0,
				"integers from 1 to 1024");

		FailureAnalysis analysis = new InvalidPreforkPropertyFailureAnalyzer()
			.analyze(new IllegalStateException("wrapper", failure));

		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).contains("'prefork.workers'").contains("'0'");
		assertThat(analysis.getAction()).contains("'prefork.workers'").contains("integers from 1 to 1024");
		assertThat(analysis.getCause()).isSameAs(failure);
	}

	@Test
	void otherFailuresAreLeftToOtherAnalyzers() {
		assertThat(new InvalidPreforkPropertyFailureAnalyzer().analyze(new IllegalStateException("unrelated")))
			.isNull();
	}

	@Test
	void analyzerIsRegisteredWhereBootLooksForFailureAnalyzers() {
		// Load them as Boot's FailureAnalyzers does: offer the bean factory and the environment,
		// and skip analyzers that cannot load (Boot's own include some for absent libraries).
		ArgumentResolver arguments = ArgumentResolver.of(BeanFactory.class, new DefaultListableBeanFactory())
			.and(Environment.class, new StandardEnvironment());
		List<String> unloadable = new ArrayList<>();
		FailureHandler skipping = (type, implementation, failure) -> unloadable.add(implementation);
		List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation(getClass().getClassLoader())
			.load(FailureAnalyzer.class, arguments, skipping);

		assertThat(analyzers).hasAtLeastOneElementOfType(InvalidPreforkPropertyFailureAnalyzer.class);
		assertThat(unloadable).doesNotContain(InvalidPreforkPropertyFailureAnalyzer.class.getName());
	}

	@Test
	void whenStartupFailsOnABadValueBootReportsItWithTheAnalysis(CapturedOutput output) {
		SpringApplication application = new SpringApplication(PreforkOnlyApplication.class);
		application.setWebApplicationType(WebApplicationType.REACTIVE);
		application.setDefaultProperties(Map.of("prefork.limit-request-line", "5", "server.port", "0",
				"spring.main.banner-mode", "off"));

		// Should the bad value be accepted, close the server that started at once.
		Throwable failure = catchThrowable(() -> application.run().close());

		assertThat(NestedExceptionUtils.getRootCause(failure)).isInstanceOf(InvalidPreforkPropertyException.class);
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("Prefork cannot start: property 'prefork.limit-request-line' is set to '5'.")
			.contains("Set 'prefork.limit-request-line' to one of the accepted values: integers from 16 to 65536.");
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ PreforkAutoConfiguration.class, NettyReactiveWebServerAutoConfiguration.class })
	static class PreforkOnlyApplication {

	}

}
