package dev.prefork.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.test.web.server.LocalServerPort;

import dev.prefork.server.PreforkWebServer;
import dev.prefork.server.RecentExceptions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample application, started as a user would start it, is served by Prefork with the knobs
 * of its application.yml, and each endpoint behaves as documented.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class SampleApplicationTests {

	private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

	@LocalServerPort
	private int port;

	@Autowired
	private WebServerApplicationContext context;

	@Test
	void applicationIsServedByPreforkWithTheConfiguredWorkers() {
		assertThat(this.context.getWebServer()).isInstanceOf(PreforkWebServer.class);
		PreforkWebServer server = (PreforkWebServer) this.context.getWebServer();
		assertThat(server.getPort()).isEqualTo(this.port);
		assertThat(server.getArbiter().getWorkers()).hasSize(2)
			.allSatisfy((worker) -> assertThat(worker.getThreads()).isEqualTo(8));
	}

	@Test
	void helloAnswers() throws Exception {
		HttpResponse<String> response = get("/hello");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).isEqualTo("Hello from Prefork\n");
	}

	@Test
	void blockingAndCpuBoundWorkRunOnWorkerThreads() throws Exception {
		assertThat(get("/whoami").body()).matches("prefork-w[12]-t[1-8]\n");
		assertThat(get("/work?ms=30").body()).matches("worked 30 ms on prefork-w[12]-t[1-8]\n");
		assertThat(get("/cpu?n=1000").statusCode()).isEqualTo(200);
	}

	@Test
	void eventsStreamsTheAskedNumberOfServerSentEvents() throws Exception {
		HttpResponse<String> response = get("/events?count=3&ms=10");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("text/event-stream"));
		assertThat(response.body()).contains("data:tick 0", "data:tick 1", "data:tick 2")
			.doesNotContain("data:tick 3");
		assertThat(get("/events?count=0").statusCode()).isEqualTo(400);
	}

	@Test
	void rowsStreamsTheAskedNumberOfRows() throws Exception {
		HttpResponse<String> response = get("/rows?count=5000"); // many batches of the connection's demand
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body().lines()).hasSize(5000).startsWith("row 0").endsWith("row 4999");
		assertThat(get("/rows?count=0").statusCode()).isEqualTo(400);
	}

	@Test
	void echoReturnsTheRequestBody() throws Exception {
		String body = "gunicorn ".repeat(10_000);
		HttpResponse<String> response = this.client.send(HttpRequest.newBuilder(uri("/echo"))
			.header("Content-Type", "text/plain")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).isEqualTo(body);
	}

	@Test
	void boomAnswers500AndIsRecordedWithItsWorkerAndThread() throws Exception {
		PreforkWebServer server = (PreforkWebServer) this.context.getWebServer();
		RecentExceptions exceptions = server.getRequestOutcomes().getRecentExceptions();
		long before = exceptions.total();
		assertThat(get("/boom?token=secret").statusCode()).isEqualTo(500);
		assertThat(exceptions.total()).isEqualTo(before + 1);
		RecentExceptions.Entry entry = exceptions.entries().get(0);
		assertThat(entry.type()).isEqualTo(IllegalStateException.class.getName());
		assertThat(entry.path()).isEqualTo("/boom");
		assertThat(entry.thread()).matches("prefork-w[12]-t[1-8]");
		assertThat(entry.workerId()).isBetween(1, 2);
		assertThat(get("/hello").statusCode()).isEqualTo(200);
	}

	@Test
	void unknownPathIs404AndNotCountedAsAnException() throws Exception {
		PreforkWebServer server = (PreforkWebServer) this.context.getWebServer();
		long before = server.getRequestOutcomes().getRecentExceptions().total();
		assertThat(get("/no-such-page").statusCode()).isEqualTo(404);
		assertThat(server.getRequestOutcomes().getRecentExceptions().total()).isEqualTo(before);
	}

	private HttpResponse<String> get(String path) throws Exception {
		return this.client.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
	}

	private URI uri(String path) {
		return URI.create("http://127.0.0.1:" + this.port + path);
	}

}
