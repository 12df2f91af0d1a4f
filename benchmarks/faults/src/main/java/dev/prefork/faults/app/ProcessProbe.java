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
 * Reads a process's resources from {@code /proc} (RSS, threads, file descriptors) and, through
 * {@code jcmd}, its heap right after a full GC: the live set, which is what grows when memory
 * leaks (heap used at a random moment mostly measures garbage).
 */
public final class ProcessProbe {

	private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total\\s+\\d+K, used (\\d+)K");

	private final long pid;

	private final long startedNanos = System.nanoTime();

	public ProcessProbe(long pid) {
		this.pid = pid;
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

	/** Runs a full GC in the process, then reads the heap in use. */
	public long heapAfterGcKb() throws IOException, InterruptedException {
		jcmd("GC.run");
		Matcher matcher = HEAP_USED.matcher(jcmd("GC.heap_info"));
		if (!matcher.find()) {
			throw new IOException("jcmd GC.heap_info: no 'heap total ..., used ...K' line");
		}
		return Long.parseLong(matcher.group(1));
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
