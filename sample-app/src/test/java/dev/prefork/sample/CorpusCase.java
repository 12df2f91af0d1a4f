package dev.prefork.sample;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One file of a conformance corpus in the gunicorn {@code .http} notation, with the exact status
 * its expectations line starts its reason with ({@code valid/x.http -> accept : 200 why}).
 */
record CorpusCase(String name, byte[] request, int status) {

	private static final Pattern EXPECTATION = Pattern.compile("^(\\S+)\\s*->\\s*(\\w+)\\s*:\\s*(\\d{3})\\s.*$");

	@Override
	public String toString() {
		return this.name + " -> " + this.status;
	}

	/** Every file named in the corpus's {@code expectations.txt}. */
	static List<CorpusCase> load(Path corpus) throws IOException {
		List<CorpusCase> cases = new ArrayList<>();
		for (String line : Files.readAllLines(corpus.resolve("expectations.txt"))) {
			if (line.isBlank() || line.startsWith("#")) {
				continue;
			}
			Matcher matcher = EXPECTATION.matcher(line.strip());
			if (!matcher.matches()) {
				throw new IllegalStateException("No exact status in expectation: " + line);
			}
			String name = matcher.group(1);
			cases.add(new CorpusCase(name, decode(Files.readAllBytes(corpus.resolve(name))),
					Integer.parseInt(matcher.group(3))));
		}
		return cases;
	}

	/**
	 * The bytes to send: the file's own newlines are layout only, and {@code \r}, {@code \n},
	 * {@code \t}, {@code \0} and {@code \xHH} stand for those bytes (as run_corpus.py reads them).
	 */
	static byte[] decode(byte[] file) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		for (int i = 0; i < file.length; i++) {
			byte b = file[i];
			if (b == '\n') {
				continue;
			}
			if (b != '\\') {
				out.write(b);
				continue;
			}
			char escape = (char) file[++i];
			switch (escape) {
				case 'r' -> out.write('\r');
				case 'n' -> out.write('\n');
				case 't' -> out.write('\t');
				case '0' -> out.write(0);
				case 'x' -> {
					out.write(Integer.parseInt(new String(file, i + 1, 2, StandardCharsets.US_ASCII), 16));
					i += 2;
				}
				default -> throw new IllegalArgumentException("Unknown escape \\" + escape);
			}
		}
		return out.toByteArray();
	}

}
