package dev.prefork.autoconfigure;

import reactor.netty.http.server.HttpServer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnThreading;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.thread.Threading;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.boot.web.server.autoconfigure.reactive.ReactiveWebServerConfiguration;
import org.springframework.boot.web.server.reactive.ReactiveWebServerFactory;
import org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.http.ReactiveHttpInputMessage;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.socket.server.WebSocketService;

import dev.prefork.event.WorkerEventPublisher;
import dev.prefork.server.ArbiterListener;
import dev.prefork.server.PreforkReactiveWebServerFactory;
import dev.prefork.server.RequestHook;
import dev.prefork.server.WorkerAffinityFilter;
import dev.prefork.server.WorkerBoundWebSocketService;
import dev.prefork.server.WorkerInitializer;

/**
 * {@link EnableAutoConfiguration Auto-configuration} that serves a reactive application with
 * Prefork. Runs before Boot's reactor-netty server auto-configuration, whose factory then backs
 * off; backs off itself when the application defines a {@link ReactiveWebServerFactory} or sets
 * {@code prefork.enabled=false}.
 */
@AutoConfiguration(
		beforeName = "org.springframework.boot.reactor.netty.autoconfigure.NettyReactiveWebServerAutoConfiguration")
@ConditionalOnClass({ ReactiveHttpInputMessage.class, HttpServer.class })
@ConditionalOnWebApplication(type = Type.REACTIVE)
@Conditional(OnPreforkEnabledCondition.class)
@EnableConfigurationProperties(PreforkProperties.class)
@Import(ReactiveWebServerConfiguration.class)
public final class PreforkAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(ReactiveWebServerFactory.class)
	PreforkReactiveWebServerFactory preforkReactiveWebServerFactory(ObjectProvider<WorkerInitializer> workerInitializer,
			ObjectProvider<ArbiterListener> arbiterListeners, ObjectProvider<RequestHook> requestHooks,
			ConfigurableApplicationContext context) {
		PreforkReactiveWebServerFactory factory = new PreforkReactiveWebServerFactory();
		workerInitializer.ifAvailable(factory::setWorkerInitializer);
		arbiterListeners.orderedStream().forEach(factory::addArbiterListeners);
		requestHooks.orderedStream().forEach(factory::addRequestHooks);
		// A crash-looping arbiter has already stopped serving; closing the context lets the
		// process end so that its supervisor (systemd, Kubernetes) can restart it.
		factory.setHaltListener((reason) -> context.close());
		return factory;
	}

	@Bean
	PreforkReactiveWebServerFactoryCustomizer preforkReactiveWebServerFactoryCustomizer(PreforkProperties properties,
			Environment environment) {
		PreforkPropertiesValidator.validate(properties);
		return new PreforkReactiveWebServerFactoryCustomizer(properties, VirtualThreadsSetting.resolve(environment));
	}

	@Bean
	ManagementLanePathsCustomizer preforkManagementLanePathsCustomizer(Environment environment) {
		return new ManagementLanePathsCustomizer(environment);
	}

	@Bean
	ProcessWorkerCustomizer preforkProcessWorkerCustomizer(Environment environment) {
		return new ProcessWorkerCustomizer(environment);
	}

	@Bean
	MaxHttpRequestHeaderSizeCustomizer preforkMaxHttpRequestHeaderSizeCustomizer(Environment environment) {
		return new MaxHttpRequestHeaderSizeCustomizer(environment);
	}

	@Bean
	ForwardHeadersCustomizer preforkForwardHeadersCustomizer(ServerProperties serverProperties,
			Environment environment) {
		return new ForwardHeadersCustomizer(serverProperties, environment);
	}

	@Bean
	@ConditionalOnMissingBean
	PreforkServerHolder preforkServerHolder() {
		return new PreforkServerHolder();
	}

	@Bean
	WorkerEventPublisher preforkWorkerEventPublisher(ApplicationEventPublisher publisher) {
		return new WorkerEventPublisher(publisher);
	}

	@Bean
	@ConditionalOnBooleanProperty("prefork.signals.enabled")
	PreforkSignalHandlers preforkSignalHandlers(PreforkServerHolder holder) {
		return new PreforkSignalHandlers(holder::server);
	}

	@Bean
	@ConditionalOnBooleanProperty("prefork.health.saturation-readiness")
	SaturationReadiness preforkSaturationReadiness(PreforkServerHolder holder, PreforkProperties properties,
			ApplicationEventPublisher publisher) {
		return new SaturationReadiness(holder::server, properties.getHealth().getSaturationThreshold(),
				properties.getHealth().getSaturationWindow(), publisher);
	}

	@Bean
	ExceptionRecordingWebExceptionHandler preforkExceptionRecorder(PreforkServerHolder holder) {
		return new ExceptionRecordingWebExceptionHandler(holder::requestOutcomes);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(WebFluxConfigurer.class)
	static class WebSocketConfiguration {

		/** WebSocket handlers and their messages on the worker that admitted the handshake. */
		@Bean
		WebFluxConfigurer preforkWebSockets() {
			return new WebFluxConfigurer() {

				@Override
				public WebSocketService getWebSocketService() {
					return new WorkerBoundWebSocketService();
				}

			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(WebFluxConfigurer.class)
	@ConditionalOnThreading(Threading.VIRTUAL)
	static class VirtualThreadsConfiguration {

		/**
		 * Keeps blocking controller methods on the request's worker, whose threads are the
		 * virtual ones: Boot would hand them to its {@code applicationTaskExecutor}, unbounded.
		 */
		@Bean
		WebFluxConfigurer preforkBlockingExecution() {
			return new WorkerBlockingExecution();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(WebHttpHandlerBuilderCustomizer.class)
	static class WorkerAffinityConfiguration {

		/**
		 * Puts {@link WorkerAffinityFilter} after every filter of the application's, so that
		 * handlers run on the request's worker whatever the filters before did (a filter bean would
		 * be sorted among the application's own filters, not certainly after them).
		 */
		@Bean
		WebHttpHandlerBuilderCustomizer preforkWorkerAffinity() {
			return (builder) -> builder.filter(new WorkerAffinityFilter());
		}

	}

}
