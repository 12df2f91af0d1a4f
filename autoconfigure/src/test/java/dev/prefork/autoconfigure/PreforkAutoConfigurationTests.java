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
import dev.prefork.server.ServerSettings;
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
					"prefork.limit-request-field-size=512", "prefork.retry-after=0s", "prefork.exceptions.capacity=7",
					"prefork.management-threads=2")
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
				assertThat(properties.getManagementThreads()).isEqualTo(2);

				ServerSettings settings = context.getBean(PreforkReactiveWebServerFactory.class).getSettings();
				assertThat(settings.workers()).isEqualTo(3);
				assertThat(settings.threads()).isEqualTo(5);
				assertThat(settings.queueCapacity()).isZero();
				assertThat(settings.backlog()).isEqualTo(128);
				assertThat(settings.ioThreads()).isEqualTo(2);
				assertThat(settings.heartbeatTimeout()).isZero();
				assertThat(settings.requestTimeout()).isEqualTo(Duration.ofSeconds(2));
				assertThat(settings.gracefulTimeout()).isEqualTo(Duration.ofSeconds(5));
				assertThat(settings.maxRequests()).isEqualTo(100);
				assertThat(settings.maxRequestsJitter()).isEqualTo(10);
				assertThat(settings.maxWorkerLifetime()).isEqualTo(Duration.ofHours(1));
				assertThat(settings.keepAlive()).isEqualTo(Duration.ofSeconds(3));
				assertThat(settings.headerTimeout()).isEqualTo(Duration.ofSeconds(4));
				assertThat(settings.limitRequestLine()).isEqualTo(1024);
				assertThat(settings.limitRequestFields()).isEqualTo(20);
				assertThat(settings.limitRequestFieldSize()).isEqualTo(512);
				assertThat(settings.retryAfter()).isZero();
				assertThat(settings.exceptionCapacity()).isEqualTo(7);
				assertThat(settings.managementThreads()).isEqualTo(2);
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
			ServerSettings settings = context.getBean(PreforkReactiveWebServerFactory.class).getSettings();
			assertThat(settings.requestTimeout()).isNull();
			assertThat(settings.maxWorkerLifetime()).isNull();
		});
	}

	@Test
	void accessLogPropertiesAreBoundAndPassedToTheFactory() {
		this.contextRunner
			.withPropertyValues("prefork.access-log.enabled=true", "prefork.access-log.format=%(h)s %(w)s %(s)s")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				ServerSettings settings = context.getBean(PreforkReactiveWebServerFactory.class).getSettings();
				assertThat(settings.accessLogEnabled()).isTrue();
				assertThat(settings.accessLogFormat()).isEqualTo("%(h)s %(w)s %(s)s");
			});
	}

	@Test
	void accessLogIsOffByDefaultWithGunicornsFormatAndTheWorker() {
		this.contextRunner.run((context) -> {
			PreforkProperties properties = context.getBean(PreforkProperties.class);
			assertThat(properties.getAccessLog().isEnabled()).isFalse();
			assertThat(properties.getAccessLog().getFormat()).isEqualTo(ServerSettings.DEFAULT_ACCESS_LOG_FORMAT);
			ServerSettings settings = context.getBean(PreforkReactiveWebServerFactory.class).getSettings();
			assertThat(settings.accessLogEnabled()).isFalse();
			assertThat(settings.accessLogFormat()).isEqualTo(ServerSettings.DEFAULT_ACCESS_LOG_FORMAT);
		});
	}

	@ParameterizedTest(name = "prefork.access-log.format={0} fails startup")
	@CsvSource(delimiter = '|', textBlock = """
			%(h)s %(x)s | the unknown atom %(x)s
			%(h)s 100%  | a '%' at index 9 that starts no %(atom)s
			%(h         | a '%' at index 0 that starts no %(atom)s
			""")
	void whenTheAccessLogFormatIsNotOneStartupFailsNamingTheProperty(String format, String problem) {
		this.contextRunner.withPropertyValues("prefork.access-log.format=" + format).run((context) -> {
			assertThat(context).hasFailed();
			Throwable root = NestedExceptionUtils.getRootCause(context.getStartupFailure());
			assertThat(root).isInstanceOf(InvalidPreforkPropertyException.class);
			InvalidPreforkPropertyException invalid = (InvalidPreforkPropertyException) root;
			assertThat(invalid.getProperty()).isEqualTo("prefork.access-log.format");
			assertThat(invalid.getValue()).isEqualTo(format);
			assertThat(invalid.getAccepted()).startsWith("gunicorn-style formats of the atoms h, l, u, t, r")
				.endsWith("(found " + problem + ")");
			assertThat(invalid.getMessage()).contains("'prefork.access-log.format'");
		});
	}

	@Test
	void whenTheApplicationDefinesAWorkerInitializerItIsGivenToTheFactory() {
		this.contextRunner.withUserConfiguration(WorkerInitializerConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(PreforkReactiveWebServerFactory.class))
				.extracting("workerInitializer")
				.isSameAs(context.getBean(WorkerInitializer.class));
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
			prefork.workers                     | 0                   | integers from 1 to 1024
			prefork.workers                     | 1025                | integers from 1 to 1024
			prefork.queue-capacity              | -1                  | integers from 0 to 1000000
			prefork.timeout                     | -1s                 | durations from 0 to 365d
			prefork.timeout                     | 110000d             | durations from 0 to 365d
			prefork.graceful-timeout            | 110000d             | durations from 0 to 365d
			prefork.keepalive                   | 366d                | durations from 0 to 365d
			prefork.retry-after                 | 110000d             | durations from 0 to 365d
			prefork.request-timeout             | 0s                  | durations greater than 0, up to 365d, or no value for no limit
			prefork.request-timeout             | 110000d             | durations greater than 0, up to 365d, or no value for no limit
			prefork.max-worker-lifetime         | 110000d             | durations greater than 0, up to 365d, or no value for no limit
			prefork.header-timeout              | 0s                  | durations greater than 0, up to 365d
			prefork.header-timeout              | 110000d             | durations greater than 0, up to 365d
			prefork.max-requests                | 9223372036854775807 | integers from 0 to 2147483647
			prefork.max-requests-jitter         | 9223372036854775807 | integers from 0 to 2147483647
			prefork.limit-request-line          | 5                   | integers from 16 to 65536
			prefork.limit-request-fields        | 32769               | integers from 1 to 32768
			prefork.limit-request-field-size    | 65537               | integers from 16 to 65536
			prefork.management-threads          | 65                  | integers from 0 to 64
			prefork.exceptions.capacity         | -1                  | integers from 0 to 10000
			prefork.health.saturation-window    | 2d                  | durations from 0 to 1d
			prefork.health.saturation-threshold | 0                   | numbers greater than 0 and at most 1
			server.max-http-request-header-size | 2MB                 | sizes from 1KB to 1MB
			server.max-http-request-header-size | 512B                | sizes from 1KB to 1MB
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

	@ParameterizedTest(name = "prefork.enabled={0} serves with {1}")
	@CsvSource({ "true, PreforkReactiveWebServerFactory", "on, PreforkReactiveWebServerFactory",
			"1, PreforkReactiveWebServerFactory", "false, NettyReactiveWebServerFactory",
			"off, NettyReactiveWebServerFactory", "no, NettyReactiveWebServerFactory" })
	void preforkEnabledTakesTheBooleansThatSpringBinds(String value, String factory) {
		this.contextRunner.withPropertyValues("prefork.enabled=" + value).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(ReactiveWebServerFactory.class).getClass().getSimpleName()).isEqualTo(factory);
		});
	}

	@Test
	void anActuatorBasePathWithoutALeadingSlashGetsNoLaneAndIsLeftForBootToReport() {
		this.contextRunner.withPropertyValues("management.endpoints.web.base-path=actuator").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(PreforkReactiveWebServerFactory.class).getSettings().managementPathPrefix())
				.isNull();
		});
	}

	@Test
	void whenPreforkEnabledIsNeitherTrueNorFalseStartupFailsNamingIt() {
		this.contextRunner.withPropertyValues("prefork.enabled=maybe").run((context) -> {
			assertThat(context).hasFailed();
			Throwable root = NestedExceptionUtils.getRootCause(context.getStartupFailure());
			assertThat(root).isInstanceOf(InvalidPreforkPropertyException.class)
				.hasMessageContaining("'prefork.enabled'")
				.hasMessageContaining("true or false");
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
