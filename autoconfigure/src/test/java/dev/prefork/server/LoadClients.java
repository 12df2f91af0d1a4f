package dev.prefork.server;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop clients that keep requesting a path until stopped, remembering every answer that
 * was not a 200 (and every connection failure), so that a test can demand zero failures.
 */
final class LoadClients implements AutoCloseable {

	final AtomicLong succeeded = new AtomicLong();

	final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

	private final AtomicBoolean running = new AtomicBoolean(true);

	private final List<CompletableFuture<Void>> clients = new ArrayList<>();

	LoadClients(TestServer server, String path, int concurrency) {
		for (int i = 0; i < concurrency; i++) {
			this.clients.add(CompletableFuture.runAsync(() -> {
				while (this.running.get()) {
					try {
						HttpResponse<String> response = server.get(path);
						if (response.statusCode() == 200) {
							this.succeeded.incrementAndGet();
						}
						else {
							this.failures.add("status " + response.statusCode());
						}
					}
					catch (Exception ex) {
						this.failures.add(ex.toString());
					}
				}
			}, command -> {
				Thread thread = new Thread(command, "load-client");
				thread.setDaemon(true);
				thread.start();
			}));
		}
	}

	@Override
	public void close() {
		this.running.set(false);
		CompletableFuture.allOf(this.clients.toArray(CompletableFuture[]::new)).join();
	}

}
