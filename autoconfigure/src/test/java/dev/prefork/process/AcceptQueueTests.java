package dev.prefork.process;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The accept queue of a real listening socket, as the kernel tells it. */
@EnabledOnOs(OS.LINUX)
class AcceptQueueTests {

	@Test
	void countsTheConnectionsNobodyHasAcceptedYet() throws Exception {
		try (ListenSocket listen = ListenSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
			AcceptQueue queue = AcceptQueue.of(listen.descriptor().intValue());
			assertThat(queue).isNotNull();
			assertThat(queue.depth()).as("bound, not listening").isEqualTo(-1);
			listen.listen(16);
			assertThat(queue.depth()).isZero();
			List<Socket> clients = new ArrayList<>();
			try {
				for (int i = 0; i < 3; i++) {
					clients.add(new Socket(InetAddress.getLoopbackAddress(), listen.port()));
				}
				await().until(() -> queue.depth() == 3);
			}
			finally {
				for (Socket client : clients) {
					client.close();
				}
			}
		}
	}

}
