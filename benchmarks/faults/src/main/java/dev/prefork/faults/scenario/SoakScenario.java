package dev.prefork.faults.scenario;

import java.time.Duration;
import java.util.List;
import java.util.function.ToDoubleFunction;

import dev.prefork.faults.app.ProcessProbe;
import dev.prefork.faults.app.ProcessSample;
import dev.prefork.faults.app.SampleApp;
import dev.prefork.faults.load.BackgroundLoad;
import dev.prefork.faults.load.LoadShape;
import dev.prefork.faults.load.RequestSpec;
import dev.prefork.faults.load.ResponsePolicy;

/**
 * Mixed load for a long time (10 minutes, or {@code --soak-minutes}; 20 s in short mode) with
 * workers recycled by {@code max-requests} every ~20 s: the live heap after a full GC, RSS, threads
 * and file descriptors must stay flat. Reports start, end and slope of each.
 */
final class SoakScenario implements Scenario {

	/** The rest of the mix: bodies, CPU work, a failing handler, thread names and the readiness probe (the lane). */
	private static final LoadShape MIX = new LoadShape(4, Duration.ofMillis(40),
			List.of(RequestSpec.post("/echo", "x".repeat(1024), 200), RequestSpec.get("/cpu?n=20000", 200),
					RequestSpec.get("/whoami", 200), RequestSpec.get("/readyz", 200),
					RequestSpec.post("/echo", "y".repeat(16 * 1024), 200), RequestSpec.get("/cpu?n=20000", 200),
					RequestSpec.get("/whoami", 200), RequestSpec.get("/hello", 200), RequestSpec.get("/boom", 500),
					RequestSpec.get("/work?ms=5", 200)),
			0);

	private static final int THREADS_PER_WORKER = 8;

	/** Full mode: a live heap growing faster than this is a leak. */
	private static final double HEAP_SLOPE_LIMIT_MB = 1.0;

	/** Full mode: end minus start; a recycle caught mid-way shows one worker's threads twice. */
	private static final long THREAD_GROWTH_LIMIT = THREADS_PER_WORKER + 4;

	private static final long FD_GROWTH_LIMIT = 20;

	@Override
	public String name() {
		return "soak";
	}

	@Override
	public void run(ScenarioContext context, ScenarioResult result) throws Exception {
		Duration duration = context.isShort() ? Duration.ofSeconds(20) : context.soak();
		Duration warmUp = context.pick(Duration.ofSeconds(3), Duration.ofSeconds(60));
		Duration every = context.pick(Duration.ofSeconds(2), Duration.ofSeconds(duration.toMinutes() > 20 ? 60 : 20));
		result.injected(String.format("%s of mixed load (background + %.0f req/s of /echo 1-16 KB, /cpu, /whoami, "
				+ "/readyz, /boom, /work) with max-requests=5000 (jitter 500); sampled every %d s after a %d s warm-up",
				minutes(duration), MIX.offeredRate(), every.toSeconds(), warmUp.toSeconds()));
		try (SampleApp app = context.startApp(name(), "--prefork.max-requests=5000", "--prefork.max-requests-jitter=500")) {
			ProcessProbe probe = new ProcessProbe(app.pid(), app.gcLog());
			BackgroundLoad background = context.startBackground(app, ResponsePolicy.STRICT);
			BackgroundLoad mix = BackgroundLoad.start("mix", app.address(), MIX, ResponsePolicy.STRICT);
			ScenarioContext.pause(warmUp);
			ResourceSeries series = new ResourceSeries();
			long start = System.nanoTime();
			long end = start + duration.toNanos();
			for (long next = start; next <= end; next += every.toNanos()) {
				Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
				series.add(probe.sample(true));
			}
			mix.stop();
			background.stop();
			result.background(background.total());

			result.byDesign("/boom answered 500 in the mix", mix.total().latency(RequestSpec.get("/boom", 500)).count());
			result.require(mix.total().failed() == 0, "every mixed request answered as expected",
					mix.total().summary() + " " + mix.total().failureSamples());
			ToDoubleFunction<ProcessSample> heapMb = (sample) -> sample.heapAfterGcKb() / 1024.0;
			ToDoubleFunction<ProcessSample> rssMb = (sample) -> sample.rssKb() / 1024.0;
			ToDoubleFunction<ProcessSample> threads = ProcessSample::threads;
			ToDoubleFunction<ProcessSample> fds = ProcessSample::fds;
			result.measure("heap after GC", series.describe(heapMb, "MB"));
			result.measure("RSS", series.describe(rssMb, "MB"));
			result.measure("threads", series.describe(threads, ""));
			result.measure("file descriptors", series.describe(fds, ""));
			result.measure("load", String.format("%,d background + %,d mixed requests over %s (%d samples)",
					background.total().sent(), mix.total().sent(), minutes(duration), series.size()));
			double threadGrowth = series.last(threads) - series.first(threads);
			double fdGrowth = series.last(fds) - series.first(fds);
			if (context.isShort()) {
				result.note("short mode: 20 s is too short for a trend; only gross growth fails (threads > 30, fds > 50, heap > 64 MB)");
				result.require(threadGrowth <= 30, "thread growth <= 30", threadGrowth);
				result.require(fdGrowth <= 50, "fd growth <= 50", fdGrowth);
				result.require(series.last(heapMb) - series.first(heapMb) <= 64, "heap-after-GC growth <= 64 MB",
						series.describe(heapMb, "MB"));
			}
			else {
				result.note("RSS is reported, not asserted: the JVM may grow its committed heap towards -Xmx without "
						+ "leaking; the live heap after a full GC is the memory measure that must stay flat");
				result.require(series.slopePerMinute(heapMb) <= HEAP_SLOPE_LIMIT_MB, "heap-after-GC slope <= "
						+ HEAP_SLOPE_LIMIT_MB + " MB/min", series.describe(heapMb, "MB"));
				result.require(threadGrowth <= THREAD_GROWTH_LIMIT, "thread growth <= " + THREAD_GROWTH_LIMIT,
						series.describe(threads, ""));
				result.require(fdGrowth <= FD_GROWTH_LIMIT, "fd growth <= " + FD_GROWTH_LIMIT, series.describe(fds, ""));
			}
			result.detail("Soak samples (" + minutes(duration) + ", after a " + warmUp.toSeconds() + " s warm-up):\n\n"
					+ series.table());
			ScenarioContext.requireHealthy(app, result, Duration.ofSeconds(15));
		}
	}

	private static String minutes(Duration duration) {
		return (duration.toSeconds() % 60 == 0) ? duration.toMinutes() + " min" : duration.toSeconds() + " s";
	}

}
