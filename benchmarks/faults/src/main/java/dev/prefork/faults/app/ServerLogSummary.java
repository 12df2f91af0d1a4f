package dev.prefork.faults.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the server's own log says about a failed scenario, printed with the failure: CI keeps the
 * harness's output but not the logs, and a rare failure must be explained from the one run that
 * showed it. Two parts, each bounded: the warnings and errors, grouped by message (digits and
 * hexadecimal ids masked, so that "worker 1" and "worker 2" count together) with the time each was
 * first seen; and the arbiter's lifecycle lines (workers booted, recycled, drained, replaced), to
 * line the failure's wall-clock time up against.
 */
public final class ServerLogSummary {

	/** Boot's console line: {@code 2026-12-03T17:39:57.685Z  INFO 28508 --- [thread] logger : message}. */
	private static final Pattern LINE = Pattern
		.compile("^(\\S+)\\s+(TRACE|DEBUG|INFO|WARN|ERROR)\\s+\\d+ --- \\[\\s*([^\\]]*)\\]\\s+(\\S+)\\s*: (.*)$");

	private static final int MAX_GROUPS = 15;

	private static final int MAX_LIFECYCLE_LINES = 30;

	private static final int MAX_MESSAGE = 240;

	private ServerLogSummary() {
	}

	/** The summary of one log, as indented lines; one line saying so when it cannot be read. */
	public static List<String> of(Path log) {
		Map<String, Group> problems = new LinkedHashMap<>();
		Deque<String> lifecycle = new ArrayDeque<>();
		int lifecycleSeen = 0;
		try (Stream<String> lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
			for (String line : (Iterable<String>) lines::iterator) {
				Matcher matcher = LINE.matcher(line);
				if (!matcher.matches()) {
					continue; // stack traces and banners
				}
				String time = matcher.group(1);
				String level = matcher.group(2);
				String logger = shortName(matcher.group(4));
				String message = cut(matcher.group(5));
				if (level.equals("WARN") || level.equals("ERROR")) {
					String key = level + " " + logger + ": " + message.replaceAll("[0-9a-f]*\\d[0-9a-f]*", "#");
					problems.computeIfAbsent(key, (k) -> new Group(time, level + " " + logger + ": " + message)).count++;
				}
				else if (logger.equals("Arbiter") || logger.equals("ProcessArbiter")) {
					// The last ones: a failure late in a long run is lined up against what came just before.
					lifecycleSeen++;
					lifecycle.addLast("      " + time + " " + message);
					if (lifecycle.size() > MAX_LIFECYCLE_LINES) {
						lifecycle.removeFirst();
					}
				}
			}
		}
		catch (IOException | UncheckedIOException ex) {
			return List.of("  server log " + log + ": not read (" + ex + ")");
		}
		List<String> summary = new ArrayList<>();
		summary.add("  server log " + log.getFileName() + ": " + problems.size() + " kinds of warning or error"
				+ ((problems.size() > MAX_GROUPS) ? " (first " + MAX_GROUPS + ")" : ""));
		problems.values()
			.stream()
			.limit(MAX_GROUPS)
			.forEach((group) -> summary.add("      " + group.count + " x, first at " + group.firstTime + " " + group.first));
		summary.add("  server log " + log.getFileName() + ": arbiter lifecycle, " + lifecycleSeen + " lines"
				+ ((lifecycleSeen > MAX_LIFECYCLE_LINES) ? " (last " + MAX_LIFECYCLE_LINES + ")" : ""));
		summary.addAll(lifecycle);
		return summary;
	}

	private static String shortName(String logger) {
		return logger.substring(logger.lastIndexOf('.') + 1);
	}

	private static String cut(String message) {
		return (message.length() <= MAX_MESSAGE) ? message : message.substring(0, MAX_MESSAGE) + "...";
	}

	private static final class Group {

		private final String firstTime;

		private final String first;

		private long count;

		private Group(String firstTime, String first) {
			this.firstTime = firstTime;
			this.first = first;
		}

	}

}
