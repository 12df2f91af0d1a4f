package dev.prefork.process;

import java.io.IOException;
import java.net.InetSocketAddress;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;

/**
 * The one listening socket of process mode, owned by the arbiter, which never accepts on it. It
 * is bound first (so the port is taken, and known when it was 0) and listens only once every
 * worker is ready: until then a client is refused rather than queued for a server that may never
 * boot. Workers get duplicates of its descriptor; closing one of those leaves the kernel's accept
 * queue to the others.
 */
final class ListenSocket implements AutoCloseable {

	private final Socket socket;

	private ListenSocket(Socket socket) {
		this.socket = socket;
	}

	static ListenSocket bind(InetSocketAddress address) throws IOException {
		Epoll.ensureAvailability();
		Socket socket = Socket.newSocketStream();
		try {
			socket.setReuseAddress(true);
			socket.bind(address);
			return new ListenSocket(socket);
		}
		catch (IOException | RuntimeException ex) {
			socket.close();
			if (ex.getMessage() != null && ex.getMessage().contains("Address already in use")) {
				throw new IOException("port " + address.getPort() + " is already in use", ex);
			}
			throw ex;
		}
	}

	FileDescriptor descriptor() {
		return this.socket;
	}

	int port() throws IOException {
		return ((InetSocketAddress) this.socket.localAddress()).getPort();
	}

	InetSocketAddress address() throws IOException {
		return (InetSocketAddress) this.socket.localAddress();
	}

	void listen(int backlog) throws IOException {
		this.socket.listen(backlog);
	}

	@Override
	public void close() {
		try {
			this.socket.close();
		}
		catch (IOException ex) {
			// Closing on the way out: nothing left to do with it.
		}
	}

}
