package dev.prefork.integration;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A WebSocket client on a plain socket, for what a well-behaved client never does: leave
 * straight after the handshake, or reset the connection.
 */
final class RawWebSocket implements AutoCloseable {

	private final Socket socket = new Socket();

	private final OutputStream out;

	RawWebSocket(int port, String path) throws IOException {
		this.socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
		this.socket.setSoTimeout(10_000);
		this.out = this.socket.getOutputStream();
		this.out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
				+ "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
			.getBytes(StandardCharsets.ISO_8859_1));
		this.out.flush();
		InputStream in = this.socket.getInputStream();
		StringBuilder head = new StringBuilder();
		while (!head.toString().endsWith("\r\n\r\n")) {
			int next = in.read();
			if (next == -1) {
				throw new IOException("Connection closed during the handshake: " + head);
			}
			head.append((char) next);
		}
		if (!head.toString().startsWith("HTTP/1.1 101")) {
			throw new IOException("Handshake refused: " + head);
		}
	}

	/** Sends one masked text frame of fewer than 126 bytes. */
	void sendText(String text) throws IOException {
		byte[] payload = text.getBytes(StandardCharsets.UTF_8);
		byte[] mask = { 7, 1, 5, 3 };
		ByteArrayOutputStream frame = new ByteArrayOutputStream();
		frame.write(0x81);
		frame.write(0x80 | payload.length);
		frame.write(mask, 0, mask.length);
		for (int i = 0; i < payload.length; i++) {
			frame.write(payload[i] ^ mask[i % 4]);
		}
		this.out.write(frame.toByteArray());
		this.out.flush();
	}

	/** Closes the connection with a reset instead of a FIN. */
	void reset() throws IOException {
		this.socket.setSoLinger(true, 0);
		this.socket.close();
	}

	/** Closes the connection without a close frame. */
	@Override
	public void close() throws IOException {
		this.socket.close();
	}

}
