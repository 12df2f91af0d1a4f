package dev.prefork.faults.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a process's resources from {@code /proc} (RSS, threads, file descriptors) and its heap
 * right after a full GC: the live set, which is what grows when memory leaks (heap used at a
 * random moment mostly measures garbage). The GC is run with {@code jcmd GC.run}; its result is
 * read from the JVM's GC log, because a second {@code jcmd} (GC.heap_info) comes a second later,
 * when a loaded server has already allocated tens of MB of new garbage.
 */
public final class ProcessProbe {

	/** {@code -Xlog:gc} line of the full GC that jcmd asks for: {@code Pause Full (Diagnostic Command) 125M->29M(104M) 68.5ms}. */
	private static final Pattern FULL_GC = Pattern.compile(
			"Pause Full \\((?:Diagnostic Command|System\\.gc\\(\\))\\) \\d+[KMG]->(\\d+)([KMG])");

	private final long pid;

	private final Path gcLog;

	private final long startedNanos = System.nanoTime();

	public ProcessProbe(long pid, Path gcLog) {
		this.pid = pid;
		this.gcLog = gcLog;
	}

	public ProcessSample sample(boolean heapAfterGc) throws IOException, InterruptedException {
		long heap = heapAfterGc ? heapAfterGcKb() : -1;
		List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(this.pid), "status"));
		long fds;
		try (Stream<Path> entries = Files.list(Path.of("/proc", Long.toString(this.pid), "fd"))) {
			fds = entries.count();
		}
		return new ProcessSample((System.nanoTime() - this.startedNanos) / 1e9, field(status, "VmRSS:"),
				field(status, "Threads:"), fds, heap);
	}

	/** Runs a full GC in the process and returns the heap it left in use. */
	public long heapAfterGcKb() throws IOException, InterruptedException {
		long before = countFullGcs();
		jcmd("GC.run"); // returns once the GC is done
		long deadline = System.nanoTime() + 5_000_000_000L;
		while (countFullGcs() <= before && System.nanoTime() < deadline) {
			Thread.sleep(20); // the log line may reach the file a moment later
		}
		long kb = -1;
		for (String line : Files.readAllLines(this.gcLog, StandardCharsets.ISO_8859_1)) {
			Matcher matcher = FULL_GC.matcher(line);
			if (matcher.find()) {
				long size = Long.parseLong(matcher.group(1));
				kb = switch (matcher.group(2)) {
					case "G" -> size * 1024 * 1024;
					case "M" -> size * 1024;
					default -> size;
				};
			}
		}
		if (kb < 0 || countFullGcs() <= before) {
			throw new IOException("no 'Pause Full (Diagnostic Command)' line in " + this.gcLog + " after jcmd GC.run");
		}
		return kb;
	}

	private long countFullGcs() throws IOException {
		if (!Files.exists(this.gcLog)) {
			return 0;
		}
		try (Stream<String> lines = Files.lines(this.gcLog, StandardCharsets.ISO_8859_1)) {
			return lines.filter((line) -> FULL_GC.matcher(line).find()).count();
		}
	}

	private String jcmd(String command) throws IOException, InterruptedException {
		Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
		Process process = new ProcessBuilder(jcmd.toString(), Long.toString(this.pid), command).redirectErrorStream(true)
			.start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
			process.destroyForcibly();
			throw new IOException("jcmd " + command + " failed: " + output);
		}
		return output;
	}

	private static long field(List<String> status, String name) {
		return status.stream()
			.filter((line) -> line.startsWith(name))
			.map((line) -> line.substring(name.length()).trim().split("\\s+")[0])
			.mapToLong(Long::parseLong)
			.findFirst()
			.orElse(-1);
	}

}
