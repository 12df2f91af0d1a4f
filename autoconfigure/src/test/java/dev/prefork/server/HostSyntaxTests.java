package dev.prefork.server;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link HostSyntax}: the Host field value grammar of RFC 9110 §7.2
 * ({@code uri-host [ ":" port ]}, with RFC 3986's IP-literal and reg-name).
 */
class HostSyntaxTests {

	@ParameterizedTest
	@ValueSource(strings = { "example.com", "example.com:8080", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:8080",
			"[2001:db8::7]", "0.0.0.0=5000", "a-b_c~d", "caf%C3%A9.example", "sub!$&'()*+,;=delims", "", "example.com:",
			"[::1]:" })
	void validHostValuesAreAccepted(String value) {
		assertThat(HostSyntax.isValid(value)).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "a b", "a/b", "a@b", "user@example.com", "a:b:c", "example.com:8o", "example.com:123456",
			"[::1", "[]", "[::1]x", "[g::1]", "caf\u00e9", "a\tb", "a#b", "a?b", "a%zz", "a%4", "a%", "[\u0663::1]" })
	void invalidHostValuesAreRefused(String value) {
		assertThat(HostSyntax.isValid(value)).isFalse();
	}

	@ParameterizedTest(name = "{0}: with host {1}, with host and port {2}")
	@CsvSource(delimiter = '|', textBlock = """
			example.com:443 | true  | true
			[::1]:443       | true  | true
			example.com     | true  | false
			[::1]           | true  | false
			example.com:    | true  | false
			:443            | false | false
			''              | false | false
			""")
	void hostAndPortArePresentOrNot(String value, boolean withHost, boolean withHostAndPort) {
		assertThat(HostSyntax.isValidWithHost(value)).isEqualTo(withHost);
		assertThat(HostSyntax.isValidWithHostAndPort(value)).isEqualTo(withHostAndPort);
	}

}
