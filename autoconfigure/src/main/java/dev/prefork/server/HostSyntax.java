package dev.prefork.server;

/**
 * The syntax of a Host field value (RFC 9110 §7.2): {@code uri-host [ ":" port ]}, where the host
 * is an IP literal in brackets, or a reg-name of unreserved, percent-encoded and sub-delim
 * characters (which covers IPv4 addresses).
 */
final class HostSyntax {

	private static final String SUB_DELIMS = "!$&'()*+,;=";

	private HostSyntax() {
	}

	static boolean isValid(String value) {
		if (value.startsWith("[")) {
			int end = value.indexOf(']');
			return end > 1 && isIpLiteral(value.substring(1, end)) && isPortPart(value.substring(end + 1));
		}
		int colon = value.lastIndexOf(':');
		String host = (colon >= 0) ? value.substring(0, colon) : value;
		String port = (colon >= 0) ? value.substring(colon) : "";
		return isRegName(host) && isPortPart(port);
	}

	private static boolean isIpLiteral(String literal) {
		return literal.chars().allMatch((c) -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
	}

	private static boolean isPortPart(String part) {
		return part.isEmpty() || (part.charAt(0) == ':' && part.length() <= 6
				&& part.substring(1).chars().allMatch((c) -> c >= '0' && c <= '9'));
	}

	private static boolean isRegName(String host) {
		for (int i = 0; i < host.length(); i++) {
			char c = host.charAt(i);
			boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
					|| c == '-' || c == '.' || c == '_' || c == '~';
			if (!unreserved && c != '%' && SUB_DELIMS.indexOf(c) < 0) {
				return false;
			}
		}
		return true;
	}

}
