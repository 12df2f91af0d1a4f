package dev.prefork.server;

import java.net.InetSocketAddress;
import java.time.ZoneOffset;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * An access-log format is parsed once into parts: each of gunicorn's atoms writes what gunicorn
 * writes for it, client-sent text cannot break a line, and a format that is not one fails naming
 * the setting.
 */
class AccessLogFormatTests {

	private static final AccessLogEntry ENTRY = new AccessLogEntry(new InetSocketAddress("10.0.0.7", 51234), "GET",
			"/a/b?x=1&y=2", "HTTP/1.1", 200, 1234, 1_234_567_000L, 3,
			Map.of("user-agent", "curl/8", "referer", "http://r/", "x-id", "a\nb")::get,
			Map.of("content-type", "text/plain")::get);

	@Test
	void everyAtomWritesWhatGunicornWritesForIt() {
		assertThat(format("%(h)s|%(l)s|%(u)s|%(r)s|%(m)s|%(U)s|%(q)s|%(H)s|%(s)s|%(B)s|%(b)s|%(f)s|%(a)s"))
			.isEqualTo("10.0.0.7|-|-|GET /a/b HTTP/1.1|GET|/a/b|x=1&y=2|HTTP/1.1|200|1234|1234|http://r/|curl/8");
		assertThat(format("%(T)s %(M)s %(D)s %(L)s")).isEqualTo("1 1234 1234567 1.234567");
		assertThat(format("%(w)s %({X-Id}i)s %({Content-Type}o)s %({none}i)s 100%%"))
			.isEqualTo("w3 a\\x0ab text/plain - 100%");
		assertThat(format("%(p)s")).isEqualTo("<" + ProcessHandle.current().pid() + ">");
		assertThat(format("%(t)s")).matches("\\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000\\]");
	}

	@Test
	void absoluteFormTargetsGiveTheirPathAndNoBodyGivesADash() {
		AccessLogEntry entry = new AccessLogEntry(null, "GET", "http://h:8/p?q", "HTTP/1.1", 503, 0, 0,
				AccessLogEntry.NO_WORKER, AccessLogEntry.Headers.NONE, AccessLogEntry.Headers.NONE);
		assertThat(AccessLogFormat.parse("%(h)s %(r)s %(U)s %(q)s %(b)s %(B)s %(w)s").format(entry))
			.isEqualTo("- GET http://h:8/p HTTP/1.1 /p q - 0 -");
	}

	@Test
	void forwardedClientAddressIsEscapedAsTheClientSentIt() {
		AccessLogEntry entry = new AccessLogEntry(InetSocketAddress.createUnresolved("1.2.3.4\" - - [fake", 0), "GET",
				"/", "HTTP/1.1", 200, 0, 0, 1, AccessLogEntry.Headers.NONE, AccessLogEntry.Headers.NONE);
		assertThat(AccessLogFormat.parse("%(h)s \"%(r)s\"").format(entry))
			.isEqualTo("1.2.3.4\\x22 - - [fake \"GET / HTTP/1.1\"");
	}

	@ParameterizedTest
	@ValueSource(strings = { "%(x)s", "%(h)s %(hh)s", "%(h)", "%h", "100%", "%({}i)s", "%({name}e)s", "" })
	void formatThatIsNotOneFailsNamingTheSetting(String format) {
		assertThatExceptionOfType(InvalidSettingException.class).isThrownBy(() -> AccessLogFormat.parse(format))
			.satisfies((ex) -> {
				assertThat(ex.getSetting()).isEqualTo("access-log.format");
				assertThat(ex.getValue()).isEqualTo(format);
				assertThat(ex.getAccepted()).startsWith("gunicorn-style formats of the atoms h, l, u, t, r");
			});
	}

	@Test
	void defaultFormatIsGunicornsWithTheWorkerAndTheDuration() {
		assertThat(AccessLogFormat.parse(ServerSettings.DEFAULT_ACCESS_LOG_FORMAT, ZoneOffset.UTC).format(ENTRY))
			.matches("10\\.0\\.0\\.7 - - \\[[^]]+\\] \"GET /a/b HTTP/1\\.1\" 200 1234 \"http://r/\" \"curl/8\" w3 1234567");
	}

	private static String format(String pattern) {
		return AccessLogFormat.parse(pattern, ZoneOffset.UTC).format(ENTRY);
	}

}
