package dev.prefork.server;

/**
 * The character classes of RFC 3986 §2 that the request-target and Host grammars are built from.
 */
final class UriCharacters {

	private static final String SUB_DELIMS = "!$&'()*+,;=";

	private UriCharacters() {
	}

	/** {@code unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"} (RFC 3986 §2.3). */
	static boolean isUnreserved(char c) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
				|| c == '_' || c == '~';
	}

	/** {@code sub-delims} (RFC 3986 §2.2). */
	static boolean isSubDelim(char c) {
		return SUB_DELIMS.indexOf(c) >= 0;
	}

	/** Whether {@code "%" HEXDIG HEXDIG} starts at {@code index} (RFC 3986 §2.1). */
	static boolean isPctEncoded(String text, int index) {
		return text.charAt(index) == '%' && index + 2 < text.length() && isHexDigit(text.charAt(index + 1))
				&& isHexDigit(text.charAt(index + 2));
	}

	/** {@code HEXDIG}, ASCII only (RFC 5234 Appendix B.1). */
	static boolean isHexDigit(char c) {
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	}

}
