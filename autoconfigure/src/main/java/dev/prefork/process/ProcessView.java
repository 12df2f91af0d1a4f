package dev.prefork.process;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The whole server as the process arbiter sees it, sent to every worker JVM each second, so that
 * any worker answering {@code /actuator/prefork} or a Prometheus scrape on the shared port tells
 * the same story: every worker process, and totals that never drop when a worker is recycled.
 *
 * @param arbiterPid the arbiter's process id
 * @param target worker JVMs the arbiter aims to keep running
 * @param spawned worker JVMs started since the arbiter started
 * @param totalRequests requests finished by every worker JVM since the arbiter started, those
 * gone included
 * @param exits worker JVMs that ended, by reason ({@code timed-out}, {@code crashed},
 * {@code recycled}, {@code restarted}, {@code scaled-down}, {@code failed-boot})
 * @param workers the worker JVMs alive now
 */
public record ProcessView(long arbiterPid, int target, long spawned, long totalRequests, Map<String, Long> exits,
		List<Worker> workers) {

	/**
	 * One worker JVM.
	 *
	 * @param id its number
	 * @param pid its process id
	 * @param state {@code booting}, {@code ready} or {@code stopping}
	 * @param uptimeMillis time since it was started
	 * @param requests requests it has finished
	 * @param inFlight requests it has admitted and not finished
	 * @param busyThreads its threads running a request
	 * @param threads its request threads
	 * @param privateMemory its private memory in bytes (0 where the platform does not tell)
	 * @param connections connections open on it
	 */
	public record Worker(int id, long pid, String state, long uptimeMillis, long requests, int inFlight,
			int busyThreads, int threads, long privateMemory, int connections) {
	}

	/** The line sent after {@code view }: totals, then one group per worker. */
	String format() {
		StringBuilder line = new StringBuilder();
		line.append(this.arbiterPid).append(' ').append(this.target).append(' ').append(this.spawned).append(' ')
			.append(this.totalRequests).append(' ');
		StringBuilder exits = new StringBuilder();
		this.exits.forEach((reason, count) -> exits.append((exits.length() > 0) ? "," : "").append(reason).append('=').append(count));
		line.append((exits.length() > 0) ? exits : "-");
		for (Worker worker : this.workers) {
			line.append(' ')
				.append(worker.id()).append(',').append(worker.pid()).append(',').append(worker.state()).append(',')
				.append(worker.uptimeMillis()).append(',').append(worker.requests()).append(',')
				.append(worker.inFlight()).append(',').append(worker.busyThreads()).append(',')
				.append(worker.threads()).append(',').append(worker.privateMemory()).append(',')
				.append(worker.connections());
		}
		return line.toString();
	}

	static @Nullable ProcessView parse(String text) {
		String[] parts = text.trim().split(" ");
		if (parts.length < 5) {
			return null;
		}
		try {
			Map<String, Long> exits = new LinkedHashMap<>();
			if (!parts[4].equals("-")) {
				for (String exit : parts[4].split(",")) {
					String[] pair = exit.split("=", 2);
					exits.put(pair[0], Long.parseLong(pair[1]));
				}
			}
			List<Worker> workers = new ArrayList<>();
			for (int i = 5; i < parts.length; i++) {
				String[] fields = parts[i].split(",");
				workers.add(new Worker(Integer.parseInt(fields[0]), Long.parseLong(fields[1]), fields[2],
						Long.parseLong(fields[3]), Long.parseLong(fields[4]), Integer.parseInt(fields[5]),
						Integer.parseInt(fields[6]), Integer.parseInt(fields[7]), Long.parseLong(fields[8]),
						Integer.parseInt(fields[9])));
			}
			return new ProcessView(Long.parseLong(parts[0]), Integer.parseInt(parts[1]), Long.parseLong(parts[2]),
					Long.parseLong(parts[3]), Map.copyOf(exits), List.copyOf(workers));
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

}
