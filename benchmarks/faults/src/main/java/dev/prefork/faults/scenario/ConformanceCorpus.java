package dev.prefork.faults.scenario;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The shared HTTP/1.1 conformance corpus ({@code ../shared/conformance}): raw requests, valid and
 * malformed, in gunicorn's {@code .http} notation.
 */
public final class ConformanceCorpus {

	/**
	 * One corpus file, decoded to the bytes that go on the wire.
	 *
	 * @param name folder and file name, such as {@code invalid/003.http}
	 * @param bytes the request bytes
	 */
	record Request(String name, byte[] bytes) {
	}

	private ConformanceCorpus() {
	}

	/**
	 * Finds {@code shared/conformance} the way the sample app's {@code ConformanceTests} does: beside
	 * the working directory or one of its parents.
	 */
	public static Path locate() throws IOException {
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

	/** Every {@code .http} file under {@code gunicorn-requests}, in name order. */
	static List<Request> load(Path conformance) throws IOException {
		Path root = conformance.resolve("gunicorn-requests");
		List<Request> requests = new ArrayList<>();
		try (Stream<Path> files = Files.walk(root)) {
			for (Path file : files.filter((path) -> path.toString().endsWith(".http")).sorted().toList()) {
				requests.add(new Request(root.relativize(file).toString(), decode(Files.readAllBytes(file))));
			}
		}
		return requests;
	}

	/**
	 * The notation of {@code run_corpus.py}: real newlines are layout and dropped; {@code \r},
	 * {@code \n}, {@code \t}, {@code \0} and {@code \xHH} stand for their bytes; any other
	 * backslash is an error.
	 */
	static byte[] decode(byte[] raw) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length);
		for (int i = 0; i < raw.length; i++) {
			byte b = raw[i];
			if (b == '\n') {
				continue;
			}
			if (b != '\\') {
				out.write(b);
				continue;
			}
			int escape = (i + 1 < raw.length) ? raw[++i] : -1;
			switch (escape) {
				case 'r' -> out.write('\r');
				case 'n' -> out.write('\n');
				case 't' -> out.write('\t');
				case '0' -> out.write(0);
				case 'x' -> {
					out.write(Integer.parseInt(new String(raw, i + 1, 2, java.nio.charset.StandardCharsets.US_ASCII), 16));
					i += 2;
				}
				default -> throw new IOException("unknown escape at offset " + i);
			}
		}
		return out.toByteArray();
	}

}
