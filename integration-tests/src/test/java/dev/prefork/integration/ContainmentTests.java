package dev.prefork.integration;

import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With Spring Security on, every handler still runs on a thread of the worker that admitted its
 * request: after the session store, the reactive password check, CSRF, multipart parsing; for
 * annotated controllers and functional routes alike. And the worker's bound holds: with 1 worker x
 * 2 threads and no queue, of 6 concurrent 800 ms requests exactly 2 are served and 4 refused 503.
 */
@SpringBootTest(classes = SecuredApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "prefork.workers=1", "prefork.threads=2", "prefork.queue-capacity=0" })
class ContainmentTests {

	@LocalServerPort
	int port;

	final HttpClient client = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.cookieHandler(new CookieManager())
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "/thread", "/fn/thread", "/session" })
	void openEndpointsRunOnTheWorker(String path) throws Exception {
		HttpResponse<String> response = get(path, false);
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).startsWith("prefork-w1-t");
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "/secure/thread", "/fn/secure" })
	void authenticatedEndpointsRunOnTheWorkerAfterTheReactivePasswordCheck(String path) throws Exception {
		assertThat(get(path, false).statusCode()).isEqualTo(401);
		HttpResponse<String> response = get(path, true);
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).startsWith("prefork-w1-t");
	}

	@Test
	void aServerSentEventStreamBehindAuthenticationIsProducedOnTheWorker() throws Exception {
		HttpResponse<String> response = get("/secure/events", true);
		assertThat(response.statusCode()).isEqualTo(200);
		// The tick comes after the application's own hop (Mono.delay), so it runs where Reactor
		// puts it: the timer's thread, or, when the timer fired first, the thread that asked for
		// it (Mono.delay holds its tick until asked, as a loaded CI machine showed), which is the
		// worker: the event loop's demand is passed on there.
		assertThat(response.body()).startsWith("data:prefork-w1-t")
			.containsPattern("data:tick on (parallel-|prefork-w1-t)");
	}

	@Test
	void aMultipartUploadWithItsCsrfTokenRunsOnTheWorker() throws Exception {
		String token = get("/csrf", false).body();
		String boundary = "prefork-boundary";
		String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
				+ "Content-Type: text/plain\r\n\r\nhello\r\n--" + boundary + "--\r\n";
		HttpResponse<String> response = this.client.send(HttpRequest.newBuilder(uri("/upload"))
			.header("Content-Type", "multipart/form-data; boundary=" + boundary)
			.header("X-CSRF-TOKEN", token)
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).startsWith("prefork-w1-t").endsWith(" file");
	}

	/**
	 * The body arrives in pieces after the handler has subscribed to it, so that it is decoded as
	 * the event loop reads it: the handler must still get it on the worker.
	 */
	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "/echo", "/fn/echo" })
	void aBodyThatArrivesAfterTheHeadIsHandledOnTheWorker(String path) throws Exception {
		String token = get("/csrf", false).body();
		int chunks = 8;
		int chunkSize = 16 * 1024;
		SubmissionPublisher<ByteBuffer> body = new SubmissionPublisher<>();
		CompletableFuture<HttpResponse<String>> answer = this.client.sendAsync(HttpRequest.newBuilder(uri(path))
			.header("Content-Type", "text/plain")
			.header("X-CSRF-TOKEN", token)
			.POST(HttpRequest.BodyPublishers.fromPublisher(body, (long) chunks * chunkSize))
			.build(), HttpResponse.BodyHandlers.ofString());
		for (int i = 0; i < chunks; i++) {
			Thread.sleep(50);
			body.submit(ByteBuffer.wrap("x".repeat(chunkSize).getBytes(StandardCharsets.US_ASCII)));
		}
		body.close();
		HttpResponse<String> response = answer.get(30, TimeUnit.SECONDS);
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).startsWith("prefork-w1-t").endsWith(" " + chunks * chunkSize);
	}

	@Test
	void codeAfterTheApplicationsOwnHopRunsWhereReactorPutsItUntilItAsksForTheWorker() throws Exception {
		assertThat(get("/delay", false).body()).startsWith("parallel-");
		assertThat(get("/delay-then-worker", false).body()).startsWith("prefork-w1-t");
		assertThat(get("/webclient-then-worker", false).body()).doesNotStartWith("after client: prefork-w")
			.contains(", back on prefork-w1-t");
	}

	@Test
	void theWorkersBoundHoldsWithSecurityOn() throws Exception {
		List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			answers.add(this.client.sendAsync(request("/secure/block?ms=800", true), HttpResponse.BodyHandlers.ofString()));
		}
		List<Integer> statuses = new ArrayList<>();
		for (CompletableFuture<HttpResponse<String>> answer : answers) {
			HttpResponse<String> response = answer.get();
			statuses.add(response.statusCode());
			if (response.statusCode() == 200) {
				assertThat(response.body()).startsWith("prefork-w1-t");
			}
		}
		assertThat(statuses).containsExactlyInAnyOrder(200, 200, 503, 503, 503, 503);
	}

	private HttpResponse<String> get(String path, boolean authenticated) throws Exception {
		return this.client.send(request(path, authenticated), HttpResponse.BodyHandlers.ofString());
	}

	private HttpRequest request(String path, boolean authenticated) {
		HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
		if (authenticated) {
			String credentials = SecuredApplication.USER + ":" + SecuredApplication.PASSWORD;
			builder.header("Authorization",
					"Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
		}
		return builder.build();
	}

	private URI uri(String path) {
		return URI.create("http://127.0.0.1:" + this.port + path);
	}

}
