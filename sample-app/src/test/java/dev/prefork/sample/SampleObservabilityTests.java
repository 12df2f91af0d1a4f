package dev.prefork.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;

import dev.prefork.server.Arbiter;
import dev.prefork.server.PreforkWebServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample application watched and steered from outside, as an operator would: Prometheus and
 * {@code /actuator/prefork} move under real load, and scaling and recycling through the endpoint
 * while clients keep requesting fails none of their requests.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "prefork.workers=2", "prefork.threads=4", "prefork.queue-capacity=0" })
class SampleObservabilityTests {

	private final HttpClient client = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	@LocalServerPort
	private int port;

	/** The sample serves its actuator on a port of its own (a random one in tests). */
	@LocalManagementPort
	private int managementPort;

	@Autowired
	private WebServerApplicationContext context;

	@Test
	void prometheusCountsRequestsRejectionsAndExceptionsUnderRealLoad() throws Exception {
		double requestsBefore = sum(scrape(), "prefork_requests_total\\{outcome=\"success\"[^}]*\\}");
		for (int i = 0; i < 20; i++) {
			assertThat(get("/hello").statusCode()).isEqualTo(200);
		}
		assertThat(get("/boom").statusCode()).isEqualTo(500);
		List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
		for (int i = 0; i < 16; i++) { // 8 threads in all and no queue: some of these must be refused
			burst.add(this.client.sendAsync(request("/work?ms=400"), HttpResponse.BodyHandlers.ofString()));
		}
		long refused = burst.stream().map(CompletableFuture::join).filter((r) -> r.statusCode() == 503).count();
		assertThat(refused).isPositive();

		String metrics = scrape();
		assertThat(sum(metrics, "prefork_requests_total\\{outcome=\"success\"[^}]*\\}")).isGreaterThanOrEqualTo(requestsBefore + 20);
		assertThat(sum(metrics, "prefork_rejected_requests_total")).isGreaterThanOrEqualTo(refused);
		assertThat(sum(metrics, "prefork_exceptions_total\\{exception=\"java.lang.IllegalStateException\"\\}"))
			.isGreaterThanOrEqualTo(1);
		assertThat(metrics).contains("executor_active_threads{name=\"prefork-w1\",threads=\"platform\"}")
			.contains("prefork_workers{state=\"active\"} 2.0");
		String prefork = get("/actuator/prefork").body();
		assertThat(prefork).contains("\"rejected\":" + (long) sum(metrics, "prefork_rejected_requests_total"));
	}

	@Test
	void scalingAndRecyclingThroughTheEndpointUnderLoadFailsNoRequest() throws Exception {
		Arbiter arbiter = ((PreforkWebServer) this.context.getWebServer()).getArbiter();
		AtomicBoolean running = new AtomicBoolean(true);
		AtomicLong succeeded = new AtomicLong();
		ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
		List<CompletableFuture<Void>> clients = new ArrayList<>();
		for (int i = 0; i < 3; i++) { // fewer clients than threads: no request may be refused
			clients.add(CompletableFuture.runAsync(() -> {
				while (running.get()) {
					try {
						HttpResponse<String> response = get("/work?ms=5");
						if (response.statusCode() == 200) {
							succeeded.incrementAndGet();
						}
						else {
							failures.add("status " + response.statusCode());
						}
					}
					catch (Exception ex) {
						failures.add(ex.toString());
					}
				}
			}));
		}
		try {
			long recycledBefore = arbiter.getRecycled();
			assertThat(post("/actuator/prefork", "{\"change\": 1}").statusCode()).isEqualTo(200);
			await().until(() -> arbiter.getActiveWorkers().size() == 3);
			assertThat(post("/actuator/prefork/all", "{}").statusCode()).isEqualTo(200);
			await().until(() -> arbiter.getRecycled() == recycledBefore + 3);
			assertThat(post("/actuator/prefork", "{\"workers\": 2}").statusCode()).isEqualTo(200);
			await().until(() -> arbiter.getWorkers().size() == 2);
			long now = succeeded.get();
			await().until(() -> succeeded.get() > now + 50);
		}
		finally {
			running.set(false);
			CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).join();
		}
		assertThat(failures).isEmpty();
		assertThat(get("/actuator/prefork").body()).contains("\"recycled\":");
	}

	private String scrape() throws Exception {
		HttpResponse<String> response = get("/actuator/prometheus");
		assertThat(response.statusCode()).isEqualTo(200);
		return response.body();
	}

	private static double sum(String metrics, String series) {
		Matcher matcher = Pattern.compile("(?m)^" + series + " ([0-9.Ee+-]+)$").matcher(metrics);
		double total = 0;
		while (matcher.find()) {
			total += Double.parseDouble(matcher.group(1));
		}
		return total;
	}

	private HttpResponse<String> get(String path) throws Exception {
		return this.client.send(request(path), HttpResponse.BodyHandlers.ofString());
	}

	private HttpResponse<String> post(String path, String json) throws Exception {
		return this.client.send(HttpRequest.newBuilder(uri(path))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(json))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

	private HttpRequest request(String path) {
		return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build();
	}

	private URI uri(String path) {
		int port = path.startsWith("/actuator") ? this.managementPort : this.port;
		return URI.create("http://127.0.0.1:" + port + path);
	}

}
