package dev.prefork.sample;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shared HTTP conformance corpus (valid and invalid raw requests, from gunicorn's test suite)
 * and Prefork's own corpus ({@code conformance/prefork-requests}, one or more files per rule of
 * the README's HTTP strictness table) pass with zero failures against the sample application's
 * {@code conformance} profile; Prefork's own files also get their exact status.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "server.address=127.0.0.1")
@ActiveProfiles("conformance")
class ConformanceTests {

	@LocalServerPort
	private int port;

	@Test
	void conformanceCorpusPassesWithZeroFailures() throws Exception {
		Path conformance = findConformanceFolder();
		assertCorpusPasses(conformance.resolve("gunicorn-requests"), conformance.resolve("expectations.txt"));
	}

	@Test
	void preforkCorpusPassesWithZeroFailures() throws Exception {
		Path corpus = findPreforkCorpus();
		assertCorpusPasses(corpus, corpus.resolve("expectations.txt"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("preforkCorpus")
	void preforkCorpusFileGetsItsExactStatusAndARefusalClosesTheConnection(CorpusCase corpusCase) throws Exception {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.port), 5000);
			socket.setSoTimeout(10_000);
			socket.getOutputStream().write(corpusCase.request());
			InputStream in = socket.getInputStream();
			String statusLine = readLine(in);
			assertThat(statusLine).startsWith(answerVersion(corpusCase) + " " + corpusCase.status() + " ");
			List<String> headers = new ArrayList<>();
			for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
				headers.add(line.toLowerCase(Locale.ROOT));
			}
			if (corpusCase.status() >= 400) {
				assertThat(headers).contains("connection: close");
				assertThat(in.readAllBytes()).as("nothing after a refusal, then the close").isEmpty();
			}
		}
	}

	/**
	 * Refusals are always answered as HTTP/1.1; reactor-netty answers an accepted HTTP/1.0 request
	 * as HTTP/1.0 and anything later as HTTP/1.1.
	 */
	private static String answerVersion(CorpusCase corpusCase) {
		String request = new String(corpusCase.request(), StandardCharsets.ISO_8859_1);
		boolean http10 = request.substring(0, request.indexOf("\r\n")).endsWith(" HTTP/1.0");
		return (corpusCase.status() < 400 && http10) ? "HTTP/1.0" : "HTTP/1.1";
	}

	static List<CorpusCase> preforkCorpus() throws IOException {
		return CorpusCase.load(findPreforkCorpus());
	}

	private void assertCorpusPasses(Path corpus, Path expectations) throws Exception {
		Path runner = findConformanceFolder().resolve("run_corpus.py");
		Process process = new ProcessBuilder("python3", runner.toString(), "--host", "127.0.0.1", "--port",
				Integer.toString(this.port), "--expectations", expectations.toString(), corpus.toString())
			.redirectErrorStream(true)
			.start();
		boolean finished = process.waitFor(5, TimeUnit.MINUTES);
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(finished).as("corpus run finished").isTrue();
		List<String> lines = output.lines().toList();
		List<String> failures = lines.stream().filter((line) -> line.startsWith("FAIL")).toList();
		assertThat(failures).as(output).isEmpty();
		assertThat(lines).as(output).last().asString().matches("conformance: \\d+ passed, 0 failed");
		assertThat(process.exitValue()).isZero();
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		for (int b = in.read(); b != '\n'; b = in.read()) {
			if (b == -1) {
				throw new EOFException("Connection closed after " + line);
			}
			line.append((char) b);
		}
		return line.toString().strip();
	}

	/** Prefork's own corpus lives in {@code conformance/prefork-requests} at the repository's root. */
	private static Path findPreforkCorpus() throws IOException {
		Path dir = Path.of("").toAbsolutePath();
		while (dir != null) {
			Path candidate = dir.resolve("conformance").resolve("prefork-requests");
			if (Files.isRegularFile(candidate.resolve("expectations.txt"))) {
				return candidate;
			}
			dir = dir.getParent();
		}
		throw new IOException("conformance/prefork-requests not found above " + Path.of("").toAbsolutePath());
	}

	/** The corpus lives in {@code ../shared/conformance} beside the repository's root. */
	private static Path findConformanceFolder() throws IOException {
		Path dir = Path.of("").toAbsolutePath();
		while (dir != null) {
			Path candidate = dir.resolveSibling("shared").resolve("conformance");
			if (Files.isRegularFile(candidate.resolve("run_corpus.py"))) {
				return candidate;
			}
			dir = dir.getParent();
		}
		throw new IOException("../shared/conformance/run_corpus.py not found above " + Path.of("").toAbsolutePath());
	}

}
