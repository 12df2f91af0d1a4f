package dev.prefork.faults.http;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.x response as read off the wire, with header names in lower case.
 *
 * @param version {@code HTTP/1.1} or {@code HTTP/1.0}
 * @param status the status code
 * @param headers header values by lower-case name
 * @param body the body, de-chunked
 */
public record HttpResponse(String version, int status, Map<String, List<String>> headers, byte[] body) {

	/** Longest status or header line read; a server sending more is broken. */
	private static final int MAX_LINE = 16 * 1024;

	private static final int MAX_HEADERS = 200;

	/** Bodies in this harness are small; a bigger one means the framing went wrong. */
	private static final int MAX_BODY = 4 * 1024 * 1024;

	/** The first value of a header, or {@code null}. */
	public String header(String name) {
		List<String> values = this.headers.get(name.toLowerCase(Locale.ROOT));
		return (values == null || values.isEmpty()) ? null : values.get(0);
	}

	public String bodyText() {
		return new String(this.body, StandardCharsets.UTF_8);
	}

	/** Whether the server keeps the connection open for another request. */
	public boolean keepAlive() {
		String connection = header("connection");
		boolean close = connection != null && connection.toLowerCase(Locale.ROOT).contains("close");
		boolean keepAlive = connection != null && connection.toLowerCase(Locale.ROOT).contains("keep-alive");
		return "HTTP/1.1".equals(this.version) ? !close : keepAlive;
	}

	/**
	 * Reads one final response (interim 1xx responses are skipped).
	 * @throws NoResponseException if the connection ends before the first byte of a response
	 * @throws EOFException if it ends in the middle of one
	 * @throws MalformedResponseException if what arrives is not an HTTP/1.x response
	 */
	static HttpResponse read(InputStream in, boolean headRequest) throws IOException {
		boolean first = true;
		while (true) {
			String statusLine = readLine(in, first);
			first = false;
			String[] parts = statusLine.split(" ", 3);
			if (parts.length < 2 || !(parts[0].equals("HTTP/1.1") || parts[0].equals("HTTP/1.0"))) {
				throw new MalformedResponseException("not an HTTP/1.x status line: " + abbreviate(statusLine));
			}
			int status = parseStatus(parts[1], statusLine);
			try {
				Map<String, List<String>> headers = readHeaders(in);
				if (status >= 100 && status < 200) {
					continue;
				}
				HttpResponse head = new HttpResponse(parts[0], status, headers, new byte[0]);
				if (headRequest || status == 204 || status == 304) {
					return head;
				}
				return new HttpResponse(parts[0], status, headers, readBody(in, head));
			}
			catch (SocketTimeoutException ex) {
				// Say where it stuck: a server that sends a status line and then stalls is another bug.
				SocketTimeoutException stalled = new SocketTimeoutException("timed out after the status line '" + statusLine + "'");
				stalled.initCause(ex);
				throw stalled;
			}
		}
	}

	private static int parseStatus(String code, String statusLine) throws MalformedResponseException {
		if (code.length() != 3 || !code.chars().allMatch(Character::isDigit)) {
			throw new MalformedResponseException("bad status code: " + abbreviate(statusLine));
		}
		return Integer.parseInt(code);
	}

	private static Map<String, List<String>> readHeaders(InputStream in) throws IOException {
		Map<String, List<String>> headers = new LinkedHashMap<>();
		for (int i = 0; i <= MAX_HEADERS; i++) {
			String line = readLine(in, false);
			if (line.isEmpty()) {
				return headers;
			}
			int colon = line.indexOf(':');
			if (colon <= 0) {
				throw new MalformedResponseException("bad header line: " + abbreviate(line));
			}
			headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), (key) -> new ArrayList<>())
				.add(line.substring(colon + 1).trim());
		}
		throw new MalformedResponseException("more than " + MAX_HEADERS + " header lines");
	}

	private static byte[] readBody(InputStream in, HttpResponse head) throws IOException {
		String transferEncoding = head.header("transfer-encoding");
		if (transferEncoding != null && transferEncoding.toLowerCase(Locale.ROOT).contains("chunked")) {
			return readChunked(in);
		}
		String contentLength = head.header("content-length");
		if (contentLength != null) {
			long length;
			try {
				length = Long.parseLong(contentLength);
			}
			catch (NumberFormatException ex) {
				throw new MalformedResponseException("bad Content-Length: " + abbreviate(contentLength));
			}
			if (length < 0 || length > MAX_BODY) {
				throw new MalformedResponseException("Content-Length out of range: " + length);
			}
			return readExactly(in, (int) length);
		}
		return readToEnd(in); // no framing: the body ends with the connection
	}

	private static byte[] readChunked(InputStream in) throws IOException {
		ByteArrayOutputStream body = new ByteArrayOutputStream();
		while (true) {
			String sizeLine = readLine(in, false);
			int semicolon = sizeLine.indexOf(';');
			String hex = ((semicolon >= 0) ? sizeLine.substring(0, semicolon) : sizeLine).trim();
			int size;
			try {
				size = Integer.parseInt(hex, 16);
			}
			catch (NumberFormatException ex) {
				throw new MalformedResponseException("bad chunk size: " + abbreviate(sizeLine));
			}
			if (size == 0) {
				readHeaders(in); // trailer section
				return body.toByteArray();
			}
			if (size < 0 || body.size() + size > MAX_BODY) {
				throw new MalformedResponseException("chunked body too large");
			}
			body.write(readExactly(in, size));
			if (!readLine(in, false).isEmpty()) {
				throw new MalformedResponseException("chunk not followed by CRLF");
			}
		}
	}

	private static byte[] readExactly(InputStream in, int length) throws IOException {
		byte[] bytes = in.readNBytes(length);
		if (bytes.length != length) {
			throw new EOFException("connection closed after " + bytes.length + " of " + length + " body bytes");
		}
		return bytes;
	}

	private static byte[] readToEnd(InputStream in) throws IOException {
		byte[] bytes = in.readNBytes(MAX_BODY + 1);
		if (bytes.length > MAX_BODY) {
			throw new MalformedResponseException("unframed body too large");
		}
		return bytes;
	}

	/** Reads a line ending in LF (CR stripped); {@code first} tells an end before any byte apart. */
	private static String readLine(InputStream in, boolean first) throws IOException {
		StringBuilder line = new StringBuilder();
		while (true) {
			int b = in.read();
			if (b < 0) {
				if (first && line.length() == 0) {
					throw new NoResponseException();
				}
				throw new EOFException("connection closed in the middle of a response line");
			}
			if (b == '\n') {
				int end = line.length();
				return (end > 0 && line.charAt(end - 1) == '\r') ? line.substring(0, end - 1) : line.toString();
			}
			if (line.length() >= MAX_LINE) {
				throw new MalformedResponseException("response line longer than " + MAX_LINE + " bytes");
			}
			line.append((char) b);
		}
	}

	private static String abbreviate(String text) {
		return (text.length() <= 80) ? text : text.substring(0, 80) + "...";
	}

}
