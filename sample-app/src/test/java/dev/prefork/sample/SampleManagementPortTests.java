package dev.prefork.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;

import dev.prefork.server.PreforkWebServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The sample's actuator, with the endpoint's write operations, is served on a management port
 * bound to the loopback address, as its application.yml says: the main port
 * answers neither reads nor writes of the endpoint, so nobody on the network can scale or
 * recycle, while the Kubernetes probes stay there as {@code /livez} and {@code /readyz}.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class SampleManagementPortTests {

	private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

	@LocalServerPort
	private int port;

	@LocalManagementPort
	private int managementPort;

	@Autowired
	private WebServerApplicationContext context;

	@Test
	void theMainPortServesNoActuatorAndRefusesItsWrites() throws Exception {
		assertThat(this.managementPort).isNotEqualTo(this.port);
		PreforkWebServer server = (PreforkWebServer) this.context.getWebServer();
		assertThat(send(this.port, "POST", "/actuator/prefork", "{\"change\": 1}").statusCode()).isEqualTo(404);
		assertThat(send(this.port, "POST", "/actuator/prefork/all", "{}").statusCode()).isEqualTo(404);
		assertThat(send(this.port, "GET", "/actuator/prefork", null).statusCode()).isEqualTo(404);
		assertThat(server.getArbiter().getTargetWorkers()).isEqualTo(2);
		assertThat(server.getArbiter().getRecycled()).isZero();
		assertThat(send(this.managementPort, "GET", "/actuator/prefork", null).statusCode()).isEqualTo(200);
	}

	@Test
	void probesStayOnTheMainPort() throws Exception {
		assertThat(send(this.port, "GET", "/livez", null).statusCode()).isEqualTo(200);
		assertThat(send(this.port, "GET", "/readyz", null).statusCode()).isEqualTo(200);
	}

	@Test
	void theManagementPortListensOnTheLoopbackAddressOnly() throws Exception {
		List<String> listening = listeningAddresses(this.managementPort);
		assertThat(listening).as("listening sockets on port %d (from /proc/net/tcp*)", this.managementPort)
			.isNotEmpty()
			.allMatch((address) -> address.equals("0100007F") || address.equals("0000000000000000FFFF00000100007F"),
					"127.0.0.1");
	}

	/**
	 * The local addresses (as the kernel writes them, hex) of the sockets listening on {@code port}:
	 * the test's own servers are bound to the loopback address by its application.properties, so
	 * a connection from another address proves nothing; the kernel's table does.
	 */
	private static List<String> listeningAddresses(int port) throws IOException {
		assumeThat(Path.of("/proc/net/tcp")).as("Linux's socket table").exists();
		List<String> addresses = new ArrayList<>();
		String hexPort = String.format("%04X", port);
		for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
			Path path = Path.of(table);
			if (!Files.exists(path)) {
				continue;
			}
			List<String> lines = Files.readAllLines(path);
			for (String line : lines.subList(1, lines.size())) {
				String[] fields = line.trim().split("\\s+");
				String[] local = fields[1].split(":");
				if (local[1].equals(hexPort) && fields[3].equals("0A")) {
					addresses.add(local[0]);
				}
			}
		}
		return addresses;
	}

	private HttpResponse<String> send(int port, String method, String path, String json) throws Exception {
		HttpRequest.BodyPublisher body = (json != null) ? HttpRequest.BodyPublishers.ofString(json)
				: HttpRequest.BodyPublishers.noBody();
		return this.client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
			.header("Content-Type", "application/json")
			.method(method, body)
			.build(), HttpResponse.BodyHandlers.ofString());
	}

}
