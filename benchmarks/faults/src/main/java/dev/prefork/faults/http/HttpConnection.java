package dev.prefork.faults.http;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One HTTP/1.1 keep-alive connection over a plain socket that never retries: each request is
 * written once and whatever comes back (or does not) is what gets counted. The JDK's HttpClient
 * silently re-sends a GET whose connection closed before an answer, which would hide the very
 * requests a fault-injection run is looking for. It does look, before it reuses a connection
 * that has been idle a while, whether the server closed it meanwhile (which
 * RFC 9112 §9.3 lets a server do to an idle connection at any time): a request written onto a
 * connection the server had already closed never reached it.
 */
public final class HttpConnection implements Closeable {

	/** How long a connection may stay idle before it is checked for a close by the server. */
	private static final Duration CHECKED_AFTER_IDLE = Duration.ofMillis(100);

	private final Socket socket;

	private final InputStream in;

	private final OutputStream out;

	private final String host;

	private int exchanges;

	private boolean open = true;

	/** When the last response was read in full. */
	private long idleSinceNanos = System.nanoTime();

	private HttpConnection(Socket socket, String host) throws IOException {
		this.socket = socket;
		this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
		this.out = socket.getOutputStream();
		this.host = host;
	}

	/** Connects, with {@code timeout} bounding the connect and every read. */
	public static HttpConnection open(InetSocketAddress address, Duration timeout) throws IOException {
		Socket socket = new Socket();
		try {
			socket.setTcpNoDelay(true);
			socket.setSoTimeout((int) timeout.toMillis());
			socket.connect(address, (int) timeout.toMillis());
			return new HttpConnection(socket, address.getHostString() + ":" + address.getPort());
		}
		catch (IOException ex) {
			socket.close();
			throw ex;
		}
	}

	public HttpResponse get(String target) throws IOException {
		return send("GET", target, null, null);
	}

	/**
	 * Sends one request and reads its response. The connection is closed when the server said it
	 * would close it, and after any failure (its state is then unknown).
	 */
	public HttpResponse send(String method, String target, String contentType, byte[] body) throws IOException {
		if (!this.open) {
			throw new IOException("connection already closed");
		}
		StringBuilder head = new StringBuilder(128).append(method)
			.append(' ')
			.append(target)
			.append(" HTTP/1.1\r\nHost: ")
			.append(this.host)
			.append("\r\n");
		if (body != null) {
			head.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(body.length).append("\r\n");
		}
		head.append("\r\n");
		try {
			this.out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
			if (body != null) {
				this.out.write(body);
			}
			this.out.flush();
			this.exchanges++;
			HttpResponse response = HttpResponse.read(this.in, "HEAD".equals(method));
			if (!response.keepAlive()) {
				close();
			}
			this.idleSinceNanos = System.nanoTime();
			return response;
		}
		catch (IOException ex) {
			close();
			throw ex;
		}
	}

	/** Requests sent on this connection so far. */
	public int exchanges() {
		return this.exchanges;
	}

	/**
	 * Whether the connection can take a request: not closed by this side, and, when it has been
	 * idle for {@link #CHECKED_AFTER_IDLE} or more, not closed by the server either.
	 * @throws IOException if the server sent bytes nobody asked for (a second answer, a late
	 * 408): a defect, never taken for a close
	 */
	public boolean isOpen() throws IOException {
		if (this.open && System.nanoTime() - this.idleSinceNanos >= CHECKED_AFTER_IDLE.toNanos() && closedByServer()) {
			close();
		}
		return this.open;
	}

	/** Whether the server has closed its end: the next read ends the stream. */
	private boolean closedByServer() throws IOException {
		int timeout = this.socket.getSoTimeout();
		this.socket.setSoTimeout(1);
		int read;
		try {
			read = this.in.read();
		}
		catch (SocketTimeoutException ex) {
			return false; // nothing to read: still open
		}
		catch (IOException ex) {
			close();
			throw ex; // reset: the server did not close it cleanly
		}
		finally {
			if (this.open) {
				this.socket.setSoTimeout(timeout);
			}
		}
		if (read != -1) {
			close();
			throw new IOException("the server sent bytes unasked on an idle connection (first: " + read + ")");
		}
		return true;
	}

	@Override
	public void close() {
		this.open = false;
		try {
			this.socket.close();
		}
		catch (IOException ex) {
			// Nothing to do: the connection is gone either way.
		}
	}

	/** Opens a connection for one request and closes it afterwards. */
	public static HttpResponse once(InetSocketAddress address, Duration timeout, String method, String target,
			String contentType, byte[] body) throws IOException {
		try (HttpConnection connection = open(address, timeout)) {
			return connection.send(method, target, contentType, body);
		}
	}

}
