package dev.prefork.benchmarks.jmh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Mono;

import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.reactive.AbstractReactiveWebServerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.HttpHandler;

import dev.prefork.server.PreforkReactiveWebServerFactory;

/**
 * The cost of Prefork's dispatch path, end to end: a request is parsed on an event loop, handed
 * to the least-loaded worker's queue, run on a worker thread, and its response written back by
 * the event loop. The same trivial handler on Boot's stock reactor-netty server (which runs it on
 * the event loop) is the baseline, so {@code prefork / stock} is the price of the hand-offs.
 * <p>
 * It goes through a real server on loopback, not through the engine's package-private classes:
 * the hand-offs between threads are most of the cost, and they only exist with a real server.
 * Clients are blocking keep-alive sockets, one per benchmark thread, so each operation is one
 * full round trip.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = { "-Xmx512m" })
@Threads(8)
public class DispatchBenchmark {

	private static final byte[] HELLO = "Hello from Prefork\n".getBytes(StandardCharsets.US_ASCII);

	@Param({ "prefork", "stock" })
	public String server;

	private WebServer webServer;

	@Setup(Level.Trial)
	public void startServer() {
		AbstractReactiveWebServerFactory factory = "prefork".equals(this.server)
				? new PreforkReactiveWebServerFactory(0) : new NettyReactiveWebServerFactory(0);
		factory.setAddress(InetAddress.getLoopbackAddress());
		this.webServer = factory.getWebServer(hello());
		this.webServer.start();
	}

	@TearDown(Level.Trial)
	public void stopServer() {
		this.webServer.stop();
	}

	/** One round trip: request written, whole response read. */
	@Benchmark
	public int roundTrip(Client client) throws IOException {
		return client.get();
	}

	private static HttpHandler hello() {
		return (request, response) -> {
			response.getHeaders().setContentType(MediaType.TEXT_PLAIN);
			response.getHeaders().setContentLength(HELLO.length);
			return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(HELLO)));
		};
	}

	/** A keep-alive HTTP/1.1 connection owned by one benchmark thread. */
	@State(Scope.Thread)
	public static class Client {

		private static final byte[] REQUEST = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"
			.getBytes(StandardCharsets.US_ASCII);

		private final byte[] buffer = new byte[4096];

		private Socket socket;

		private InputStream in;

		private OutputStream out;

		@Setup(Level.Trial)
		public void connect(DispatchBenchmark benchmark) throws IOException {
			this.socket = new Socket(InetAddress.getLoopbackAddress(), benchmark.webServer.getPort());
			this.socket.setTcpNoDelay(true);
			this.in = this.socket.getInputStream();
			this.out = this.socket.getOutputStream();
		}

		@TearDown(Level.Trial)
		public void close() throws IOException {
			this.socket.close();
		}

		/** Sends the request and reads the response; returns its status code. */
		int get() throws IOException {
			this.out.write(REQUEST);
			int length = 0;
			int headEnd = -1;
			while (headEnd < 0) {
				length += readSome(length);
				headEnd = indexOfBlankLine(length);
			}
			int total = headEnd + contentLength(headEnd);
			while (length < total) {
				length += readSome(length);
			}
			if (length != total) {
				throw new IOException("Unexpected bytes after the response (the client does not pipeline)");
			}
			return (this.buffer[9] - '0') * 100 + (this.buffer[10] - '0') * 10 + (this.buffer[11] - '0');
		}

		private int readSome(int offset) throws IOException {
			int read = this.in.read(this.buffer, offset, this.buffer.length - offset);
			if (read < 0) {
				throw new IOException("Connection closed by the server");
			}
			return read;
		}

		private int indexOfBlankLine(int length) {
			for (int i = 3; i < length; i++) {
				if (this.buffer[i] == '\n' && this.buffer[i - 1] == '\r' && this.buffer[i - 2] == '\n'
						&& this.buffer[i - 3] == '\r') {
					return i + 1;
				}
			}
			return -1;
		}

		private int contentLength(int headEnd) throws IOException {
			String head = new String(this.buffer, 0, headEnd, StandardCharsets.US_ASCII).toLowerCase();
			int at = head.indexOf("content-length:");
			if (at < 0) {
				throw new IOException("Response without Content-Length:\n" + head);
			}
			int end = head.indexOf('\r', at);
			return Integer.parseInt(head.substring(at + "content-length:".length(), end).trim());
		}

	}

}
