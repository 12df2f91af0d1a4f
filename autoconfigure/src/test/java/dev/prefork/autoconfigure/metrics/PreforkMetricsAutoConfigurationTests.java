package dev.prefork.autoconfigure.metrics;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.reactive.HttpHandler;

import dev.prefork.autoconfigure.PreforkAutoConfiguration;
import dev.prefork.server.PreforkReactiveWebServerFactory;
import dev.prefork.server.PreforkWebServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link PreforkMetricsAutoConfiguration} gives the Prefork server's factory a metrics binder when
 * the application has a {@link MeterRegistry}, binds it to the running server once the
 * application started and removes the meters when the context closes; it steps aside without
 * Micrometer, without a registry and when Prefork is disabled.
 */
class PreforkMetricsAutoConfigurationTests {

	private static final AutoConfigurations METRICS = AutoConfigurations.of(MetricsAutoConfiguration.class,
			CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class);

	private final ReactiveWebApplicationContextRunner contextRunner = new ReactiveWebApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(PreforkAutoConfiguration.class, PreforkMetricsAutoConfiguration.class));

	@Test
	void whenAMeterRegistryIsPresentThenTheFactoryGivesItsServersArbiterToTheBinder() {
		this.contextRunner.withConfiguration(METRICS)
			.withPropertyValues("server.port=0", "server.address=127.0.0.1", "prefork.workers=2")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).hasSingleBean(PreforkMetricsBinding.class);
				assertThat(context.getBean(PreforkMetricsBinding.class).binder()).isNotNull();
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				HttpHandler handler = (request, response) -> response.setComplete();
				PreforkWebServer server = (PreforkWebServer) context.getBean(PreforkReactiveWebServerFactory.class)
					.getWebServer(handler);
				server.start();
				try {
					assertThat(registry.find("prefork.requests").tag("worker", "1").meters()).hasSize(6);
					assertThat(registry.find("prefork.requests").tag("worker", "2").meters()).hasSize(6);
					assertThat(registry.find("executor.active").tag("name", "prefork-w1").gauge()).isNotNull();
				}
				finally {
					server.stop();
				}
			});
	}

	@Test
	void whenMicrometerIsAbsentThenThereIsNoBinding() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).hasSingleBean(PreforkReactiveWebServerFactory.class);
				assertThat(context).doesNotHaveBean(PreforkMetricsBinding.class);
			});
	}

	@Test
	void whenThereIsNoMeterRegistryThenThereIsNoBinding() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).hasSingleBean(PreforkReactiveWebServerFactory.class);
			assertThat(context).doesNotHaveBean(PreforkMetricsBinding.class);
		});
	}

	@Test
	void whenPreforkIsDisabledThenThereIsNoBinding() {
		this.contextRunner.withConfiguration(METRICS).withPropertyValues("prefork.enabled=false").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).hasSingleBean(MeterRegistry.class);
			assertThat(context).doesNotHaveBean(PreforkMetricsBinding.class);
		});
	}

	@Test
	void theRunningApplicationsServerIsBoundOnceAndItsMetersAreRemovedWhenTheContextCloses() throws Exception {
		ConfigurableApplicationContext context = new SpringApplicationBuilder(MeteredApplication.class)
			.web(WebApplicationType.REACTIVE)
			.run("--server.port=0", "--server.address=127.0.0.1", "--prefork.workers=2", "--prefork.threads=2",
					"--prefork.io-threads=1");
		MeterRegistry registry = context.getBean(MeterRegistry.class);
		try {
			PreforkWebServer server = (PreforkWebServer) ((WebServerApplicationContext) context).getWebServer();
			assertThat(registry.get("prefork.workers").tag("state", "active").gauge().value()).isEqualTo(2);
			assertThat(registry.get("prefork.workers.target").gauge().value()).isEqualTo(2);
			assertThat(registry.find("prefork.backlog").gauge()).isNotNull();
			HttpClient client = HttpClient.newHttpClient();
			HttpResponse<Void> response = client.send(
					HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getPort() + "/")).build(),
					HttpResponse.BodyHandlers.discarding());
			assertThat(response.statusCode()).isEqualTo(200);
			await().until(() -> successes(registry) == 1);
			server.getArbiter().recycleAll();
			await().until(() -> server.getArbiter().getRecycled() == 2);
			// Each retirement is counted once: the binder listens to the arbiter exactly once.
			assertThat(registry.get("prefork.worker.restarts").tag("reason", "recycle").counter().count())
				.isEqualTo(2);
			assertThat(successes(registry)).isEqualTo(1);
		}
		finally {
			context.close();
		}
		assertThat(registry.find("prefork.workers").meters()).isEmpty();
		assertThat(registry.find("prefork.requests").meters()).isEmpty();
		assertThat(registry.find("prefork.worker.restarts").meters()).isEmpty();
		assertThat(registry.find("executor.active").tag("name", "prefork-w1").meters()).isEmpty();
	}

	private static double successes(MeterRegistry registry) {
		return registry.find("prefork.requests")
			.tag("outcome", "success")
			.functionCounters()
			.stream()
			.mapToDouble((counter) -> counter.count())
			.sum();
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ PreforkAutoConfiguration.class, PreforkMetricsAutoConfiguration.class,
			MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
			SimpleMetricsExportAutoConfiguration.class })
	static class MeteredApplication {

		@Bean
		HttpHandler httpHandler() {
			return (request, response) -> response.setComplete();
		}

	}

}
