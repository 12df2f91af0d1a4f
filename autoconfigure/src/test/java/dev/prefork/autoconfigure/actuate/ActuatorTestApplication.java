package dev.prefork.autoconfigure.actuate;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.prefork.event.PreforkWorkerEvent;
import dev.prefork.server.PreforkWebServer;
import dev.prefork.server.RequestHook;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

/**
 * A small application with actuator, run on a real Prefork server on a random port, plus an HTTP
 * client and JSON reader for the tests that look at it from outside.
 */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
class ActuatorTestApplication {

	final CountDownLatch release = new CountDownLatch(1);

	final List<PreforkWorkerEvent> events = new CopyOnWriteArrayList<>();

	final List<String> hookCalls = new CopyOnWriteArrayList<>();

	@Bean
	RouterFunction<ServerResponse> routes() {
		return RouterFunctions.route(GET("/hello"), (request) -> ServerResponse.ok().bodyValue("hello"))
			.andRoute(GET("/boom"), (request) -> {
				throw new IllegalStateException("boom with a secret");
			})
			.andRoute(GET("/block"), (request) -> {
				try {
					this.release.await(30, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				return ServerResponse.ok().bodyValue("released");
			})
			.andRoute(GET("/hang"), (request) -> {
				try {
					Thread.sleep(30_000);
				}
				catch (InterruptedException ex) {
					// What most applications do with an interrupt: fail the request.
					throw new IllegalStateException("interrupted while hanging", ex);
				}
				return ServerResponse.ok().bodyValue("woke up");
			});
	}

	@EventListener
	void onWorkerEvent(PreforkWorkerEvent event) {
		this.events.add(event);
	}

	@Bean
	RequestHook recordingHook() {
		return new RequestHook() {

			@Override
			public void preRequest(Request request) {
				ActuatorTestApplication.this.hookCalls
					.add("pre " + request.method() + " " + request.path() + " on " + request.workerId());
			}

			@Override
			public void postRequest(Request request, int status, Duration elapsed) {
				ActuatorTestApplication.this.hookCalls
					.add("post " + request.method() + " " + request.path() + " " + status);
			}

		};
	}

	/** A running instance and a client for it. */
	static final class Running implements AutoCloseable {

		private static final ObjectMapper json = new ObjectMapper();

		final ConfigurableApplicationContext context;

		final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

		Running(String... properties) {
			String[] args = new String[properties.length + 3];
			args[0] = "--server.port=0";
			args[1] = "--server.address=127.0.0.1";
			args[2] = "--management.endpoints.web.exposure.include=health,prefork";
			System.arraycopy(properties, 0, args, 3, properties.length);
			this.context = new SpringApplicationBuilder(ActuatorTestApplication.class).run(args);
		}

		PreforkWebServer server() {
			return (PreforkWebServer) ((WebServerApplicationContext) this.context).getWebServer();
		}

		ActuatorTestApplication application() {
			return this.context.getBean(ActuatorTestApplication.class);
		}

		HttpResponse<String> get(String path) throws IOException, InterruptedException {
			return this.client.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
		}

		HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
			return this.client.send(HttpRequest.newBuilder(uri(path))
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString(body))
				.build(), HttpResponse.BodyHandlers.ofString());
		}

		JsonNode json(String path) throws IOException, InterruptedException {
			HttpResponse<String> response = get(path);
			if (response.statusCode() != 200) {
				throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
			}
			return json.readTree(response.body());
		}

		URI uri(String path) {
			return URI.create("http://127.0.0.1:" + server().getPort() + path);
		}

		@Override
		public void close() {
			application().release.countDown();
			this.context.close();
		}

	}

}
