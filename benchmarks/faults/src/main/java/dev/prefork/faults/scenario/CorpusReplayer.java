package dev.prefork.faults.scenario;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.prefork.faults.http.HttpConnection;
import dev.prefork.faults.http.HttpResponse;

/**
 * Replays the conformance corpus in a loop, each file on a fresh raw socket, reading whatever
 * answer comes within a short timeout (malformed and unfinished requests may get none). This is
 * not the conformance test (that one judges each answer); it only checks that the server keeps
 * serving everyone else, answers in HTTP/1.x, and stays alive: after every pass a plain request
 * on a new connection must be answered 200.
 */
final class CorpusReplayer {

	private static final Duration READ_TIMEOUT = Duration.ofSeconds(1);

	private final InetSocketAddress address;

	private final List<ConformanceCorpus.Request> corpus;

	private final Map<String, Integer> answers = new TreeMap<>();

	private final List<String> badAnswers = new ArrayList<>();

	private int sent;

	private int passes;

	private int failedAliveChecks;

	CorpusReplayer(InetSocketAddress address, List<ConformanceCorpus.Request> corpus) {
		this.address = address;
		this.corpus = corpus;
	}

	/** Replays whole passes of the corpus until {@code duration} is over (at least one pass). */
	void run(Duration duration) {
		long deadline = System.nanoTime() + duration.toNanos();
		do {
			for (ConformanceCorpus.Request request : this.corpus) {
				String answer = replay(request);
				this.answers.merge(answer, 1, Integer::sum);
				this.sent++;
				if (answer.equals("garbage") || (answer.startsWith("5") && !List.of("501", "503", "505").contains(answer))) {
					if (this.badAnswers.size() < 10) {
						this.badAnswers.add(request.name() + " -> " + answer);
					}
				}
			}
			this.passes++;
			if (!aliveCheck()) {
				this.failedAliveChecks++;
			}
		}
		while (System.nanoTime() < deadline);
	}

	private String replay(ConformanceCorpus.Request request) {
		try (Socket socket = new Socket()) {
			socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
			socket.connect(this.address, (int) READ_TIMEOUT.toMillis());
			try {
				socket.getOutputStream().write(request.bytes());
				socket.getOutputStream().flush();
			}
			catch (IOException ex) {
				// The server may answer and close before the whole request is written: read what came.
			}
			return readStatus(socket.getInputStream());
		}
		catch (IOException ex) {
			return "connect failed: " + ex.getClass().getSimpleName();
		}
	}

	/** The status code of the first answer, or what happened instead. */
	private static String readStatus(InputStream in) {
		byte[] line = new byte[12];
		int read = 0;
		try {
			while (read < line.length) {
				int n = in.read(line, read, line.length - read);
				if (n < 0) {
					break;
				}
				read += n;
			}
		}
		catch (SocketTimeoutException ex) {
			return (read == 0) ? "no answer in " + READ_TIMEOUT.toSeconds() + " s" : "garbage";
		}
		catch (IOException ex) {
			return (read == 0) ? "reset without answer" : "garbage";
		}
		String start = new String(line, 0, read, StandardCharsets.ISO_8859_1);
		if (read == 0) {
			return "closed without answer";
		}
		if (read < 12 || !(start.startsWith("HTTP/1.1 ") || start.startsWith("HTTP/1.0 "))) {
			return "garbage";
		}
		return start.substring(9, 12);
	}

	private boolean aliveCheck() {
		try {
			HttpResponse response = HttpConnection.once(this.address, Duration.ofSeconds(5), "GET", "/hello", null, null);
			return response.status() == 200;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/** Answers by status code, or what happened instead. */
	Map<String, Integer> answers() {
		return this.answers;
	}

	/** Answers that no corpus request should get: not HTTP/1.x, or a 5xx other than 501/503/505. */
	List<String> badAnswers() {
		return this.badAnswers;
	}

	int sent() {
		return this.sent;
	}

	int passes() {
		return this.passes;
	}

	int failedAliveChecks() {
		return this.failedAliveChecks;
	}

}
