package dev.prefork.server;

/**
 * The syntax of a Host field value (RFC 9110 §7.2): {@code uri-host [ ":" port ]}, where the host
 * is an IP literal in brackets, or a reg-name of unreserved, percent-encoded and sub-delim
 * characters (which covers IPv4 addresses). The same grammar is an http URI's authority once
 * userinfo is ruled out, and CONNECT's authority-form once the port is required.
 */
final class HostSyntax {

	private HostSyntax() {
	}

	/** Whether the value is a Host field value; an empty one is (RFC 9112 §3.2). */
	static boolean isValid(String value) {
		int hostEnd = hostEnd(value);
		return hostEnd >= 0 && isHost(value.substring(0, hostEnd)) && isPortPart(value.substring(hostEnd));
	}

	/** Whether the value is valid and names a host: an http(s) URI's authority (RFC 9110 §4.2.1). */
	static boolean isValidWithHost(String value) {
		return isValid(value) && hostEnd(value) > 0;
	}

	/** Whether the value is valid with both a host and a port: CONNECT's target (RFC 9112 §3.2.3). */
	static boolean isValidWithHostAndPort(String value) {
		int hostEnd = hostEnd(value);
		return isValidWithHost(value) && value.length() > hostEnd + 1;
	}

	/** Where the host ends (and the optional {@code ":" port} starts), or -1 for an unclosed IP literal. */
	private static int hostEnd(String value) {
		if (value.startsWith("[")) {
			int close = value.indexOf(']');
			return (close >= 0) ? close + 1 : -1;
		}
		int colon = value.lastIndexOf(':');
		return (colon >= 0) ? colon : value.length();
	}

	private static boolean isHost(String host) {
		if (host.startsWith("[")) {
			return host.length() > 2 && isIpLiteral(host.substring(1, host.length() - 1));
		}
		return isRegName(host);
	}

	private static boolean isIpLiteral(String literal) {
		// Lenient about the IPv6 grammar itself, but ASCII only: Character.digit would take any
		// script's digits.
		return literal.chars().allMatch((c) -> UriCharacters.isHexDigit((char) c) || c == ':' || c == '.');
	}

	private static boolean isPortPart(String part) {
		return part.isEmpty() || (part.charAt(0) == ':' && part.length() <= 6
				&& part.substring(1).chars().allMatch((c) -> c >= '0' && c <= '9'));
	}

	private static boolean isRegName(String host) {
		for (int i = 0; i < host.length(); i++) {
			char c = host.charAt(i);
			if (c == '%') {
				if (!UriCharacters.isPctEncoded(host, i)) {
					return false;
				}
				i += 2;
			}
			else if (!UriCharacters.isUnreserved(c) && !UriCharacters.isSubDelim(c)) {
				return false;
			}
		}
		return true;
	}

}
