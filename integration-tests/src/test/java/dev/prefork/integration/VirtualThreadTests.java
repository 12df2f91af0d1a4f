package dev.prefork.integration;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code spring.threads.virtual.enabled=true}, the secured application's controllers run on
 * virtual threads of the worker that admitted their request, never on Boot's {@code task-N} ones:
 * the worker's bound holds (1 worker x 2 threads, no queue: of 6 concurrent 800 ms requests 2 are
 * served, 4 refused), {@code request-timeout} interrupts them, and the actuator says they are virtual.
 */
@EnabledForJreRange(min = JRE.JAVA_21)
@SpringBootTest(classes = { SecuredApplication.class, VirtualThreadTests.SleepController.class },
		webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "spring.threads.virtual.enabled=true", "prefork.workers=1", "prefork.threads=2",
				"prefork.queue-capacity=0", "prefork.request-timeout=2s",
				"management.endpoints.web.exposure.include=prefork,metrics" })
class VirtualThreadTests {

	/** Interrupted requests of {@link SleepController}, by the thread that was interrupted. */
	static final CompletableFuture<String> interrupted = new CompletableFuture<>();

	@LocalServerPort
	int port;

	final HttpClient client = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	@Test
	void blockingControllersRunOnTheWorkersVirtualThreads() throws Exception {
		HttpResponse<String> response = get("/virtual", false);
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).matches("prefork-w1-t[12] virtual");
		assertThat(get("/secure/thread", true).body()).matches("prefork-w1-t[12]");
		assertThat(get("/fn/thread", false).body()).matches("prefork-w1-t[12]");
	}

	@Test
	void theWorkersBoundHolds() throws Exception {
		List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			answers.add(this.client.sendAsync(request("/secure/block?ms=800", true),
					HttpResponse.BodyHandlers.ofString()));
		}
		List<Integer> statuses = new ArrayList<>();
		for (CompletableFuture<HttpResponse<String>> answer : answers) {
			HttpResponse<String> response = answer.get(30, TimeUnit.SECONDS);
			statuses.add(response.statusCode());
			if (response.statusCode() == 200) {
				assertThat(response.body()).matches("prefork-w1-t[12]");
			}
		}
		assertThat(statuses).containsExactlyInAnyOrder(200, 200, 503, 503, 503, 503);
	}

	@Test
	void requestTimeoutInterruptsTheVirtualThread() throws Exception {
		long start = System.nanoTime();
		HttpResponse<String> response = get("/sleep", false);
		long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		assertThat(response.statusCode()).isEqualTo(503);
		assertThat(tookMillis).isLessThan(20_000);
		assertThat(interrupted.get(10, TimeUnit.SECONDS)).matches("prefork-w1-t[12] virtual");
	}

	@Test
	void theActuatorSaysTheThreadsAreVirtual() throws Exception {
		String prefork = get("/actuator/prefork", false).body();
		assertThat(prefork).contains("\"max\":2,\"virtual\":true");
		HttpResponse<String> meter = get("/actuator/metrics/executor.pool.max?tag=name:prefork-w1&tag=threads:virtual",
				false);
		assertThat(meter.statusCode()).isEqualTo(200);
		assertThat(meter.body()).contains("\"value\":2.0");
	}

	private HttpResponse<String> get(String path, boolean authenticated) throws Exception {
		return this.client.send(request(path, authenticated), HttpResponse.BodyHandlers.ofString());
	}

	private HttpRequest request(String path, boolean authenticated) {
		HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(30));
		if (authenticated) {
			String credentials = SecuredApplication.USER + ":" + SecuredApplication.PASSWORD;
			builder.header("Authorization",
					"Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
		}
		return builder.build();
	}

	static String describeCurrentThread() {
		Thread thread = Thread.currentThread();
		try {
			boolean virtual = (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
			return thread.getName() + (virtual ? " virtual" : " platform");
		}
		catch (ReflectiveOperationException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@RestController
	static class SleepController {

		@GetMapping("/virtual")
		String virtual() {
			return describeCurrentThread();
		}

		@GetMapping("/sleep")
		String sleep() throws InterruptedException {
			try {
				Thread.sleep(60_000);
				return "slept";
			}
			catch (InterruptedException ex) {
				interrupted.complete(describeCurrentThread());
				throw ex;
			}
		}

	}

}
