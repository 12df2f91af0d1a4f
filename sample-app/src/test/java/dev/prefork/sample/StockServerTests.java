package dev.prefork.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.reactor.netty.NettyWebServer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code prefork.enabled=false} the same application runs on Boot's stock reactor-netty
 * server, unchanged: the off switch works and the comparison in the benchmarks is fair.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "prefork.enabled=false")
class StockServerTests {

	@LocalServerPort
	private int port;

	@Autowired
	private WebServerApplicationContext context;

	@Test
	void preforkDisabledGivesBootsNettyServer() throws Exception {
		assertThat(this.context.getWebServer()).isInstanceOf(NettyWebServer.class);
		HttpResponse<String> response = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/whoami")).build(),
					HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).doesNotStartWith("prefork-");
	}

}
