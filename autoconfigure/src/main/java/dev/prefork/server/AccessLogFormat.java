package dev.prefork.server;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * An access-log format in gunicorn's notation ({@code access_log_format}), parsed once into a
 * list of parts so that writing a line is a walk over that list: no parsing, no regular
 * expression per request. The atoms are gunicorn's, plus {@code %(w)s} for the worker:
 * <ul>
 * <li>{@code h} remote address, {@code l} and {@code u} always {@code -} (no ident, no user),
 * {@code t} time the request arrived, {@code [10/Oct/2000:13:55:36 +0000]};
 * <li>{@code r} request line, {@code m} method, {@code U} path, {@code q} query string,
 * {@code H} protocol: {@code r} and {@code U} never carry the query string, which appears only
 * where the format asks for {@code q};
 * <li>{@code s} status, {@code B} body bytes sent, {@code b} the same or {@code -} for none;
 * <li>{@code f} referer, {@code a} user agent, {@code {name}i} a request header,
 * {@code {name}o} a response header;
 * <li>{@code T} seconds, {@code M} milliseconds, {@code D} microseconds, {@code L} decimal
 * seconds; {@code p} the process id as {@code <pid>};
 * <li>{@code w} the worker that admitted the request ({@code w3}, {@code m} for the management
 * lane), {@code -} for an answer the server gave before any worker admitted it.
 * </ul>
 * {@code %%} is a literal {@code %}. Anything else after a {@code %} is refused, as Python's
 * formatting refuses it in gunicorn.
 */
final class AccessLogFormat {

	static final String SETTING = "access-log.format";

	private static final String ATOMS = "h, l, u, t, r, m, U, q, H, s, B, b, f, a, T, M, D, L, p, w, {header}i, {header}o";

	private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("'['dd/MMM/yyyy:HH:mm:ss Z']'",
			Locale.ENGLISH);

	private static final String PID = "<" + ProcessHandle.current().pid() + ">";

	private final String pattern;

	private final List<Part> parts;

	private final ZoneId zone;

	private AccessLogFormat(String pattern, List<Part> parts, ZoneId zone) {
		this.pattern = pattern;
		this.parts = parts;
		this.zone = zone;
	}

	/**
	 * Parses a format.
	 * @throws InvalidSettingException naming {@code access-log.format} for an unknown atom or a
	 * {@code %} that starts none
	 */
	static AccessLogFormat parse(@Nullable String pattern) {
		return parse(pattern, ZoneId.systemDefault());
	}

	static AccessLogFormat parse(@Nullable String pattern, ZoneId zone) {
		if (pattern == null || pattern.isEmpty()) {
			throw invalid(pattern, "an empty format");
		}
		List<Part> parts = new ArrayList<>();
		StringBuilder literal = new StringBuilder();
		int i = 0;
		while (i < pattern.length()) {
			char c = pattern.charAt(i);
			if (c != '%') {
				literal.append(c);
				i++;
				continue;
			}
			if (pattern.startsWith("%%", i)) {
				literal.append('%');
				i += 2;
				continue;
			}
			int end = pattern.indexOf(")s", i);
			if (!pattern.startsWith("%(", i) || end < 0) {
				throw invalid(pattern, "a '%' at index " + i + " that starts no %(atom)s");
			}
			if (!literal.isEmpty()) {
				String text = literal.toString();
				parts.add((line, entry, format) -> line.append(text));
				literal.setLength(0);
			}
			parts.add(atom(pattern, pattern.substring(i + 2, end)));
			i = end + 2;
		}
		if (!literal.isEmpty()) {
			String text = literal.toString();
			parts.add((line, entry, format) -> line.append(text));
		}
		return new AccessLogFormat(pattern, List.copyOf(parts), zone);
	}

	private static Part atom(String pattern, String atom) {
		if (atom.length() > 3 && atom.startsWith("{") && (atom.endsWith("}i") || atom.endsWith("}o"))) {
			String name = atom.substring(1, atom.length() - 2).toLowerCase(Locale.ROOT);
			if (!name.isEmpty() && name.indexOf('}') < 0) {
				return atom.endsWith("i") ? (line, entry, format) -> escaped(line, entry.requestHeader(name))
						: (line, entry, format) -> escaped(line, entry.responseHeader(name));
			}
		}
		return switch (atom) {
			// Escaped too: with forwarded headers trusted, the address is what X-Forwarded-For said.
			case "h" -> (line, entry, format) -> escaped(line, entry.remoteAddress());
			case "l", "u" -> (line, entry, format) -> line.append('-');
			case "t" -> (line, entry, format) -> format.appendTime(line, entry);
			case "r" -> (line, entry, format) -> requestLine(line, entry);
			case "m" -> (line, entry, format) -> escaped(line, entry.method());
			case "U" -> (line, entry, format) -> escaped(line, entry.path());
			case "q" -> (line, entry, format) -> escaped(line, entry.query());
			case "H" -> (line, entry, format) -> escaped(line, entry.protocol());
			case "s" -> (line, entry, format) -> line.append(entry.status());
			case "B" -> (line, entry, format) -> line.append(entry.bytes());
			case "b" -> (line, entry, format) -> orDash(line, entry.bytes());
			case "f" -> (line, entry, format) -> escaped(line, entry.requestHeader("referer"));
			case "a" -> (line, entry, format) -> escaped(line, entry.requestHeader("user-agent"));
			case "T" -> (line, entry, format) -> line.append(TimeUnit.NANOSECONDS.toSeconds(entry.durationNanos()));
			case "M" -> (line, entry, format) -> line.append(TimeUnit.NANOSECONDS.toMillis(entry.durationNanos()));
			case "D" -> (line, entry, format) -> line.append(TimeUnit.NANOSECONDS.toMicros(entry.durationNanos()));
			case "L" -> (line, entry, format) -> decimalSeconds(line, entry.durationNanos());
			case "p" -> (line, entry, format) -> line.append(PID);
			case "w" -> (line, entry, format) -> worker(line, entry.worker());
			default -> throw invalid(pattern, "the unknown atom %(" + atom + ")s");
		};
	}

	/** The format as configured. */
	String pattern() {
		return this.pattern;
	}

	/** Formats one line; parts that have nothing to show write {@code -}. */
	String format(AccessLogEntry entry) {
		StringBuilder line = new StringBuilder(160);
		for (Part part : this.parts) {
			part.append(line, entry, this);
		}
		return line.toString();
	}

	private void appendTime(StringBuilder line, AccessLogEntry entry) {
		// The arrival, as in the Common Log Format, worked out when the line is written so that
		// a request costs no clock read for it while the access log is off.
		Instant arrived = Instant.now().minusNanos(entry.durationNanos());
		TIME.formatTo(arrived.atZone(this.zone), line);
	}

	private static void requestLine(StringBuilder line, AccessLogEntry entry) {
		String target = entry.target();
		if (target == null) {
			line.append('-'); // a line too long, or too broken, for the decoder to read it
			return;
		}
		escaped(line, entry.method());
		line.append(' ');
		escaped(line, AccessLogEntry.withoutQuery(target));
		line.append(' ');
		escaped(line, entry.protocol());
	}

	private static void worker(StringBuilder line, int worker) {
		if (worker == AccessLogEntry.NO_WORKER) {
			line.append('-');
		}
		else if (worker == Worker.MANAGEMENT_LANE_ID) {
			line.append('m');
		}
		else {
			line.append('w').append(worker);
		}
	}

	private static void orDash(StringBuilder line, long bytes) {
		if (bytes > 0) {
			line.append(bytes);
		}
		else {
			line.append('-');
		}
	}

	private static void decimalSeconds(StringBuilder line, long nanos) {
		long micros = TimeUnit.NANOSECONDS.toMicros(nanos);
		String fraction = Long.toString(1_000_000 + micros % 1_000_000).substring(1);
		line.append(micros / 1_000_000).append('.').append(fraction);
	}

	/**
	 * Appends what a client sent, with quotes, backslashes, control characters and anything
	 * beyond ASCII written as {@code \xHH} (as Apache's access log does), so that a client cannot
	 * forge a line or break the format's quoting; {@code -} for nothing.
	 */
	private static void escaped(StringBuilder line, @Nullable String value) {
		if (value == null || value.isEmpty()) {
			line.append('-');
			return;
		}
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
				line.append(c);
			}
			else if (c > 0xff) {
				line.append("\\u").append(String.format("%04x", (int) c));
			}
			else {
				line.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
			}
		}
	}

	private static InvalidSettingException invalid(@Nullable String pattern, String problem) {
		return new InvalidSettingException(SETTING, pattern,
				"gunicorn-style formats of the atoms " + ATOMS + " (found " + problem + ")");
	}

	@FunctionalInterface
	private interface Part {

		void append(StringBuilder line, AccessLogEntry entry, AccessLogFormat format);

	}

}
