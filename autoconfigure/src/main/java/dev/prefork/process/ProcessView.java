package dev.prefork.process;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The whole server as the process arbiter sees it, sent to every worker JVM each second, so that
 * any worker answering {@code /actuator/prefork}, a health check or a Prometheus scrape on the
 * shared port tells the same story: every worker process, and totals that never drop when a
 * worker is recycled. As in {@link Heartbeat}, fields are only ever appended, and a reader
 * takes the ones it knows.
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
	 * Worker JVMs ready to serve, and their mean saturation (1 with none ready): what the whole
	 * server's health and readiness are judged on, whichever worker is asked.
	 */
	public double saturation() {
		return this.workers.stream().filter(Worker::isReady).mapToDouble(Worker::saturation).average().orElse(1.0);
	}

	public long readyWorkers() {
		return this.workers.stream().filter(Worker::isReady).count();
	}

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
	 * @param queued its requests waiting for a thread
	 * @param saturation its saturation, from 0 (idle) to 1 (full), as its {@code prefork} health
	 * tells it
	 * @param exceptions its requests that ended with an exception
	 * @param cpuMillis CPU time it has used (user and system)
	 */
	public record Worker(int id, long pid, String state, long uptimeMillis, long requests, int inFlight,
			int busyThreads, int threads, long privateMemory, int connections, int queued, double saturation,
			long exceptions, long cpuMillis) {

		private static final int KNOWN_FIELDS = 14;

		boolean isReady() {
			return "ready".equals(this.state);
		}

		private void format(StringBuilder line) {
			line.append(this.id).append(',').append(this.pid).append(',').append(this.state).append(',')
				.append(this.uptimeMillis).append(',').append(this.requests).append(',').append(this.inFlight)
				.append(',').append(this.busyThreads).append(',').append(this.threads).append(',')
				.append(this.privateMemory).append(',').append(this.connections).append(',').append(this.queued)
				.append(',').append(Math.round(this.saturation * 1000)).append(',').append(this.exceptions)
				.append(',').append(this.cpuMillis);
		}

		private static Worker parse(String group) {
			String[] fields = group.split(",");
			long[] numbers = new long[KNOWN_FIELDS];
			for (int i = 0; i < Math.min(fields.length, KNOWN_FIELDS); i++) {
				numbers[i] = (i == 2) ? 0 : Long.parseLong(fields[i]);
			}
			return new Worker(Math.toIntExact(numbers[0]), numbers[1], fields[2], numbers[3], numbers[4],
					Math.toIntExact(numbers[5]), Math.toIntExact(numbers[6]), Math.toIntExact(numbers[7]), numbers[8],
					Math.toIntExact(numbers[9]), Math.toIntExact(numbers[10]), numbers[11] / 1000.0, numbers[12],
					numbers[13]);
		}

	}

	/**
	 * The line sent after {@code view }: totals, then one group per worker. A later version may
	 * append named figures ({@code name=value}), which a reader that does not know them skips.
	 */
	String format() {
		StringBuilder line = new StringBuilder();
		line.append(this.arbiterPid).append(' ').append(this.target).append(' ').append(this.spawned).append(' ')
			.append(this.totalRequests).append(' ');
		StringBuilder exits = new StringBuilder();
		this.exits.forEach((reason, count) -> exits.append((exits.length() > 0) ? "," : "").append(reason).append('=').append(count));
		line.append((exits.length() > 0) ? exits : "-");
		for (Worker worker : this.workers) {
			line.append(' ');
			worker.format(line);
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
				if (parts[i].indexOf('=') < 0) {
					workers.add(Worker.parse(parts[i]));
				}
			}
			return new ProcessView(Long.parseLong(parts[0]), Integer.parseInt(parts[1]), Long.parseLong(parts[2]),
					Long.parseLong(parts[3]), Map.copyOf(exits), List.copyOf(workers));
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

}
