package dev.prefork.autoconfigure;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.netty.http.server.HttpServer;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.reactor.netty.autoconfigure.NettyReactiveWebServerAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.web.server.reactive.ReactiveWebServerFactory;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.NestedExceptionUtils;

import dev.prefork.server.PreforkReactiveWebServerFactory;
import dev.prefork.server.WorkerInitializer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PreforkAutoConfiguration} replaces Boot's reactor-netty server factory in a reactive
 * application, steps aside when it is disabled, when the application brings its own factory, when
 * reactor-netty is missing and outside reactive applications, binds every {@code prefork.*}
 * property into the factory, and fails startup on an out-of-range value with the property's name
 * and accepted range.
 */
class PreforkAutoConfigurationTests {

	private static final AutoConfigurations AUTO_CONFIGURATIONS = AutoConfigurations
		.of(PreforkAutoConfiguration.class, NettyReactiveWebServerAutoConfiguration.class);

	private final ReactiveWebApplicationContextRunner contextRunner = new ReactiveWebApplicationContextRunner()
		.withConfiguration(AUTO_CONFIGURATIONS);

	@Test
	void whenReactorNettyIsPresentPreforkProvidesTheOnlyWebServerFactory() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).hasSingleBean(ReactiveWebServerFactory.class);
			assertThat(context).getBean(ReactiveWebServerFactory.class)
				.isExactlyInstanceOf(PreforkReactiveWebServerFactory.class);
			assertThat(context).doesNotHaveBean(NettyReactiveWebServerFactory.class);
			assertThat(context).hasSingleBean(PreforkProperties.class);
			assertThat(context).hasSingleBean(PreforkServerHolder.class);
			assertThat(context).hasSingleBean(ExceptionRecordingWebExceptionHandler.class);
		});
	}

	@Test
	void whenPreforkIsDisabledBootsNettyFactoryIsUsedAndNoPreforkBeansExist() {
		this.contextRunner.withPropertyValues("prefork.enabled=false").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).hasSingleBean(ReactiveWebServerFactory.class);
			assertThat(context).getBean(ReactiveWebServerFactory.class)
				.isExactlyInstanceOf(NettyReactiveWebServerFactory.class);
			assertNoPreforkBeans(context);
		});
	}

	@Test
	void whenUserDefinesAFactoryThenPreforkBacksOff() {
		this.contextRunner.withUserConfiguration(UserFactoryConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).hasSingleBean(ReactiveWebServerFactory.class);
			assertThat(context.getBean(ReactiveWebServerFactory.class))
				.isSameAs(context.getBean("userReactiveWebServerFactory"));
			assertThat(context).doesNotHaveBean(PreforkReactiveWebServerFactory.class);
		});
	}

	@Test
	void propertiesAreBoundAndPassedToTheFactory() {
		this.contextRunner
			.withPropertyValues("prefork.workers=3", "prefork.threads=5", "prefork.queue-capacity=0",
					"prefork.backlog=128", "prefork.io-threads=2", "prefork.timeout=0s", "prefork.request-timeout=2s",
					"prefork.graceful-timeout=5s", "prefork.max-requests=100", "prefork.max-requests-jitter=10",
					"prefork.max-worker-lifetime=1h", "prefork.keepalive=3s", "prefork.header-timeout=4s",
					"prefork.limit-request-line=1024", "prefork.limit-request-fields=20",
					"prefork.limit-request-field-size=512", "prefork.retry-after=0s", "prefork.exceptions.capacity=7")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				PreforkProperties properties = context.getBean(PreforkProperties.class);
				assertThat(properties.getWorkers()).isEqualTo(3);
				assertThat(properties.getThreads()).isEqualTo(5);
				assertThat(properties.getQueueCapacity()).isZero();
				assertThat(properties.getBacklog()).isEqualTo(128);
				assertThat(properties.getIoThreads()).isEqualTo(2);
				assertThat(properties.getTimeout()).isZero();
				assertThat(properties.getRequestTimeout()).isEqualTo(Duration.ofSeconds(2));
				assertThat(properties.getGracefulTimeout()).isEqualTo(Duration.ofSeconds(5));
				assertThat(properties.getMaxRequests()).isEqualTo(100);
				assertThat(properties.getMaxRequestsJitter()).isEqualTo(10);
				assertThat(properties.getMaxWorkerLifetime()).isEqualTo(Duration.ofHours(1));
				assertThat(properties.getKeepalive()).isEqualTo(Duration.ofSeconds(3));
				assertThat(properties.getHeaderTimeout()).isEqualTo(Duration.ofSeconds(4));
				assertThat(properties.getLimitRequestLine()).isEqualTo(1024);
				assertThat(properties.getLimitRequestFields()).isEqualTo(20);
				assertThat(properties.getLimitRequestFieldSize()).isEqualTo(512);
				assertThat(properties.getRetryAfter()).isZero();
				assertThat(properties.getExceptions().getCapacity()).isEqualTo(7);

				// The factory has setters only: read its fields to prove each value reached it.
				assertThat(context.getBean(PreforkReactiveWebServerFactory.class))
					.hasFieldOrPropertyWithValue("workers", 3)
					.hasFieldOrPropertyWithValue("threads", 5)
					.hasFieldOrPropertyWithValue("queueCapacity", 0)
					.hasFieldOrPropertyWithValue("backlog", 128)
					.hasFieldOrPropertyWithValue("ioThreads", 2)
					.hasFieldOrPropertyWithValue("timeout", Duration.ZERO)
					.hasFieldOrPropertyWithValue("requestTimeout", Duration.ofSeconds(2))
					.hasFieldOrPropertyWithValue("gracefulTimeout", Duration.ofSeconds(5))
					.hasFieldOrPropertyWithValue("maxRequests", 100L)
					.hasFieldOrPropertyWithValue("maxRequestsJitter", 10L)
					.hasFieldOrPropertyWithValue("maxWorkerLifetime", Duration.ofHours(1))
					.hasFieldOrPropertyWithValue("keepAlive", Duration.ofSeconds(3))
					.hasFieldOrPropertyWithValue("headerTimeout", Duration.ofSeconds(4))
					.hasFieldOrPropertyWithValue("limitRequestLine", 1024)
					.hasFieldOrPropertyWithValue("limitRequestFields", 20)
					.hasFieldOrPropertyWithValue("limitRequestFieldSize", 512)
					.hasFieldOrPropertyWithValue("retryAfter", Duration.ZERO)
					.hasFieldOrPropertyWithValue("exceptionCapacity", 7);
			});
	}

	@Test
	void whenNothingIsSetThePropertiesKeepTheirDefaults() {
		this.contextRunner.run((context) -> {
			PreforkProperties properties = context.getBean(PreforkProperties.class);
			assertThat(properties.getWorkers()).isEqualTo(Runtime.getRuntime().availableProcessors());
			assertThat(properties.getThreads()).isEqualTo(8);
			assertThat(properties.getQueueCapacity()).isEqualTo(64);
			assertThat(properties.getTimeout()).isEqualTo(Duration.ofSeconds(30));
			assertThat(properties.getRequestTimeout()).isNull();
			assertThat(properties.getMaxWorkerLifetime()).isNull();
			assertThat(properties.getExceptions().getCapacity()).isEqualTo(100);
			assertThat(context.getBean(PreforkReactiveWebServerFactory.class))
				.hasFieldOrPropertyWithValue("requestTimeout", null)
				.hasFieldOrPropertyWithValue("maxWorkerLifetime", null);
		});
	}

	@Test
	void whenTheApplicationDefinesAWorkerInitializerItIsGivenToTheFactory() {
		this.contextRunner.withUserConfiguration(WorkerInitializerConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(PreforkReactiveWebServerFactory.class))
				.hasFieldOrPropertyWithValue("workerInitializer", context.getBean(WorkerInitializer.class));
		});
	}

	@Test
	void whenReactorNettyIsMissingTheAutoConfigurationDoesNotApply() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(HttpServer.class)).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).doesNotHaveBean(ReactiveWebServerFactory.class);
			assertNoPreforkBeans(context);
		});
	}

	@Test
	void whenTheApplicationIsNotReactiveTheAutoConfigurationDoesNotApply() {
		new ApplicationContextRunner().withConfiguration(AUTO_CONFIGURATIONS).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).doesNotHaveBean(ReactiveWebServerFactory.class);
			assertNoPreforkBeans(context);
		});
	}

	@ParameterizedTest(name = "{0}={1} fails startup")
	@CsvSource(delimiter = '|', textBlock = """
			prefork.workers            | 0    | integers from 1 to 1024
			prefork.queue-capacity     | -1   | integers from 0 to 1000000
			prefork.timeout            | -1s  | durations of zero or more
			prefork.request-timeout    | 0s   | durations greater than zero, or no value to disable it
			prefork.limit-request-line | 5    | integers from 16 to 65536
			prefork.header-timeout     | 0s   | durations greater than zero
			prefork.exceptions.capacity| -1   | integers from 0 to 10000
			""")
	void whenAPropertyIsOutOfRangeStartupFailsNamingThePropertyAndTheAcceptedRange(String property, String value,
			String accepted) {
		this.contextRunner.withPropertyValues(property + "=" + value).run((context) -> {
			assertThat(context).hasFailed();
			Throwable root = NestedExceptionUtils.getRootCause(context.getStartupFailure());
			assertThat(root).isInstanceOf(InvalidPreforkPropertyException.class);
			InvalidPreforkPropertyException invalid = (InvalidPreforkPropertyException) root;
			assertThat(invalid.getProperty()).isEqualTo(property);
			assertThat(invalid.getAccepted()).isEqualTo(accepted);
			assertThat(invalid.getMessage()).contains("'" + property + "'").contains(accepted);
		});
	}

	private static void assertNoPreforkBeans(ApplicationContext context) {
		assertThat(context.getBeanNamesForType(PreforkReactiveWebServerFactory.class)).isEmpty();
		assertThat(context.getBeanNamesForType(PreforkProperties.class)).isEmpty();
		assertThat(context.getBeanNamesForType(PreforkServerHolder.class)).isEmpty();
		assertThat(context.getBeanNamesForType(ExceptionRecordingWebExceptionHandler.class)).isEmpty();
	}

	@Configuration(proxyBeanMethods = false)
	static class UserFactoryConfiguration {

		@Bean
		NettyReactiveWebServerFactory userReactiveWebServerFactory() {
			return new NettyReactiveWebServerFactory();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class WorkerInitializerConfiguration {

		@Bean
		WorkerInitializer workerInitializer() {
			return (workerId) -> {
			};
		}

	}

}
