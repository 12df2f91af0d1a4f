package dev.prefork.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A plain socket speaking HTTP/1.1 by hand, for what real clients refuse to send (oversized or
 * malformed heads, dribbled bytes) and for checking that a connection stays usable.
 */
final class RawHttp implements AutoCloseable {

	private final Socket socket;

	private final InputStream in;

	private final OutputStream out;

	RawHttp(int port) throws IOException {
		this(connect(port));
	}

	/** Speaks over a socket already connected, for example a TLS socket that negotiated HTTP/1.1. */
	RawHttp(Socket socket) throws IOException {
		this.socket = socket;
		this.socket.setSoTimeout(15_000);
		this.in = this.socket.getInputStream();
		this.out = this.socket.getOutputStream();
	}

	private static Socket connect(int port) throws IOException {
		Socket socket = new Socket();
		socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
		return socket;
	}

	RawHttp send(String text) throws IOException {
		this.out.write(text.getBytes(StandardCharsets.ISO_8859_1));
		this.out.flush();
		return this;
	}

	/** Reads one response: status line, headers and a Content-Length body. */
	Response readResponse() throws IOException {
		String statusLine = readLine();
		if (statusLine == null) {
			return null;
		}
		StringBuilder headers = new StringBuilder();
		int contentLength = 0;
		String line;
		while ((line = readLine()) != null && !line.isEmpty()) {
			headers.append(line).append('\n');
			if (line.toLowerCase().startsWith("content-length:")) {
				contentLength = Integer.parseInt(line.substring(15).trim());
			}
		}
		byte[] body = this.in.readNBytes(contentLength);
		return new Response(statusLine, headers.toString(), new String(body, StandardCharsets.UTF_8));
	}

	/** Whether the server closed the connection (reads end of stream within the socket timeout). */
	boolean isClosedByServer() throws IOException {
		try {
			return this.in.read() == -1;
		}
		catch (SocketTimeoutException ex) {
			return false;
		}
		catch (IOException ex) {
			return true; // reset
		}
	}

	/** Whether the server closed the connection cleanly (a FIN, no reset) within the socket timeout. */
	boolean readsEndOfStream() throws IOException {
		try {
			return this.in.read() == -1;
		}
		catch (SocketTimeoutException ex) {
			return false;
		}
	}

	/** Reads raw bytes until they contain {@code marker}, the server closes, or {@code timeout} passes. */
	String readUntilClosedOr(String marker, Duration timeout) throws IOException {
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		long deadline = System.nanoTime() + timeout.toNanos();
		byte[] chunk = new byte[4096];
		while (System.nanoTime() < deadline && !received.toString(StandardCharsets.ISO_8859_1).contains(marker)) {
			int read;
			try {
				read = this.in.read(chunk);
			}
			catch (SocketTimeoutException ex) {
				break;
			}
			if (read == -1) {
				break;
			}
			received.write(chunk, 0, read);
		}
		return received.toString(StandardCharsets.ISO_8859_1);
	}

	void soTimeout(int millis) throws IOException {
		this.socket.setSoTimeout(millis);
	}

	private String readLine() throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		int b;
		while ((b = this.in.read()) != -1) {
			if (b == '\n') {
				String text = line.toString(StandardCharsets.ISO_8859_1);
				return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
			}
			line.write(b);
		}
		return (line.size() > 0) ? line.toString(StandardCharsets.ISO_8859_1) : null;
	}

	@Override
	public void close() throws IOException {
		this.socket.close();
	}

	record Response(String statusLine, String headers, String body) {

		int status() {
			return Integer.parseInt(this.statusLine.split(" ")[1]);
		}

		boolean hasHeader(String name, String value) {
			return this.headers.toLowerCase().contains(name.toLowerCase() + ": " + value.toLowerCase());
		}

	}

}
