package dev.prefork.server;

/**
 * The grammar of a request-target (RFC 9112 §3.2) on RFC 3986's characters: origin-form,
 * absolute-form for http and https URIs, and the authority-form CONNECT takes. The asterisk-form
 * is the single character {@code *}.
 */
final class TargetSyntax {

	private TargetSyntax() {
	}

	/** {@code absolute-path [ "?" query ]} (RFC 9112 §3.2.1). */
	static boolean isOriginForm(String target) {
		return target.startsWith("/") && isPathAndQuery(target, 0);
	}

	/**
	 * An http or https URI in absolute-form (RFC 9112 §3.2.2): the scheme in any case (RFC 9110
	 * §4.2.3), {@code "//"}, an authority naming a host (RFC 9110 §4.2.1) without userinfo
	 * (§4.2.4: a recipient should treat it as an error, it hides the real host from a reader),
	 * then {@code path-abempty [ "?" query ]}.
	 */
	static boolean isHttpAbsoluteForm(String target) {
		int start = authorityStart(target);
		if (start < 0) {
			return false;
		}
		int end = authorityEnd(target, start);
		return HostSyntax.isValidWithHost(target.substring(start, end)) && isPathAndQuery(target, end);
	}

	/** {@code uri-host ":" port} (RFC 9112 §3.2.3), without userinfo. */
	static boolean isAuthorityForm(String target) {
		return HostSyntax.isValidWithHostAndPort(target);
	}

	/** Where an http(s) absolute-form target's authority starts, or -1 if it is no such target. */
	static int authorityStart(String target) {
		int colon = target.indexOf(':');
		if (colon < 0 || !target.startsWith("//", colon + 1)) {
			return -1;
		}
		String scheme = target.substring(0, colon);
		return (scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https")) ? colon + 3 : -1;
	}

	/** Where the authority starting at {@code start} ends: at the path, the query or the end. */
	static int authorityEnd(String target, int start) {
		for (int i = start; i < target.length(); i++) {
			char c = target.charAt(i);
			if (c == '/' || c == '?' || c == '#') {
				return i;
			}
		}
		return target.length();
	}

	/**
	 * Whether {@code target} from {@code start} on is made of {@code pchar}s, {@code "/"} and
	 * {@code "?"} (RFC 3986 §3.3, §3.4). A {@code "#"} fragment is never part of a request-target,
	 * and raw bytes outside ASCII or a broken percent-encoding are not URI characters.
	 */
	private static boolean isPathAndQuery(String target, int start) {
		for (int i = start; i < target.length(); i++) {
			char c = target.charAt(i);
			if (c == '%') {
				if (!UriCharacters.isPctEncoded(target, i)) {
					return false;
				}
				i += 2;
			}
			else if (!UriCharacters.isUnreserved(c) && !UriCharacters.isSubDelim(c) && c != ':' && c != '@'
					&& c != '/' && c != '?') {
				return false;
			}
		}
		return true;
	}

}
