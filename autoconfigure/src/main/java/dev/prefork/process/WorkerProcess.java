package dev.prefork.process;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * One worker JVM as the arbiter sees it: the process, what it last reported over the control
 * channel, and where it is in its life. Fields the control channel's event loop writes are
 * volatile; the arbiter's loop reads them.
 */
final class WorkerProcess {

	enum State {

		/** Started, not yet serving. */
		BOOTING,

		/** Serving: said {@code ready}. */
		READY,

		/** Told to stop (recycled, scaled down, timed out, shutting down); its exit is expected. */
		STOPPING

	}

	/** Its number: workers are numbered as they are started, so it is also its age. */
	private final int id;

	/** Its slot in the scoreboard, free again once it has exited. */
	private final int slot;

	private final Process process;

	/** What it runs: its build of the class data cache, which must stay while it does. */
	private final WorkerCommand command;

	private final OutputTail output;

	private final long startedNanos = System.nanoTime();

	private volatile State state = State.BOOTING;

	private volatile @Nullable Channel control;

	private volatile long lastBeatNanos = System.nanoTime();

	private volatile @Nullable Heartbeat lastBeat;

	/** When the worker was last seen making progress: a completion, or a free thread. */
	private volatile long progressNanos = System.nanoTime();

	private volatile @Nullable String stopReason;

	private volatile long stoppingSinceNanos;

	/** Private memory and CPU time when the arbiter last looked ({@link #sample()}). */
	private volatile long privateMemory;

	private volatile long cpuMillis;

	/** Whether its memory was checked since it got ready: the first check sees it fresh. */
	private volatile boolean memoryChecked;

	/** Set when the worker was over the memory limit as soon as it had booted. */
	private volatile boolean memoryLimitBelowBoot;

	private static final Log logger = LogFactory.getLog(WorkerProcess.class);

	/** Requests after which this worker is recycled (jitter included), 0 for never. */
	private final long requestLimit;

	/** Age after which this worker is recycled (jitter included), 0 for never. */
	private final long lifetimeNanos;

	private WorkerProcess(int id, int slot, Process process, WorkerCommand command, OutputTail output,
			ProcessArbiterSettings.Recycling recycling) {
		this.id = id;
		this.slot = slot;
		this.process = process;
		this.command = command;
		this.output = output;
		ThreadLocalRandom random = ThreadLocalRandom.current();
		this.requestLimit = (recycling.maxRequests() > 0)
				? recycling.maxRequests() + ((recycling.maxRequestsJitter() > 0) ? random.nextLong(recycling.maxRequestsJitter() + 1) : 0)
				: 0;
		long lifetime = (recycling.maxLifetime() != null) ? recycling.maxLifetime().toNanos() : 0;
		this.lifetimeNanos = (lifetime > 0) ? lifetime + random.nextLong(lifetime / 10 + 1) : 0;
	}

	static WorkerProcess start(int id, int slot, WorkerCommand command, Path controlSocket, Path scoreboard,
			PrintStream output, ProcessArbiterSettings settings) throws IOException {
		ProcessBuilder builder = new ProcessBuilder(command.command()).redirectErrorStream(true);
		Map<String, String> environment = builder.environment();
		environment.put(WorkerCommand.CONTROL_SOCKET, controlSocket.toString());
		environment.put(WorkerCommand.WORKER_ID, Integer.toString(id));
		environment.put(WorkerCommand.SCOREBOARD, scoreboard.toString());
		environment.put(WorkerCommand.SLOT, Integer.toString(slot));
		if (settings.management() != null) {
			environment.put(WorkerCommand.MANAGEMENT_SOCKET, "1");
		}
		ProcessArbiterSettings.Recycling recycling = settings.recycling();
		Process process = Children.start(builder);
		process.getOutputStream().close();
		return new WorkerProcess(id, slot, process, command,
				new OutputTail(process.getInputStream(), output, "prefork-output-w" + id), recycling);
	}

	int id() {
		return this.id;
	}

	WorkerCommand command() {
		return this.command;
	}

	int slot() {
		return this.slot;
	}

	long pid() {
		return this.process.pid();
	}

	State state() {
		return this.state;
	}

	Process process() {
		return this.process;
	}

	long startedNanos() {
		return this.startedNanos;
	}

	long lastBeatNanos() {
		return this.lastBeatNanos;
	}

	long progressNanos() {
		return this.progressNanos;
	}

	@Nullable String stopReason() {
		return this.stopReason;
	}

	long stoppingSinceNanos() {
		return this.stoppingSinceNanos;
	}

	/** The last lines the worker wrote, once the pump has copied what it left in the pipe. */
	List<String> outputTail() {
		drainOutput();
		return this.output.lines();
	}

	/** Lets the pump copy the exited worker's last lines before the arbiter reports its exit. */
	void drainOutput() {
		this.output.drain(500);
	}

	/** Its control connection; {@code false} if it had one already (a second one is refused). */
	synchronized boolean connected(Channel channel) {
		if (this.control != null) {
			return false;
		}
		this.control = channel;
		this.lastBeatNanos = System.nanoTime();
		return true;
	}

	/** Sends the arbiter's view of the server to the worker, if it is connected. */
	void send(String line) {
		Channel channel = this.control;
		if (channel != null && channel.isActive()) {
			channel.writeAndFlush(Unpooled.copiedBuffer(line + "\n", StandardCharsets.US_ASCII));
		}
	}

	/** What this worker looks like in the arbiter's view of the server. */
	ProcessView.Worker view(long now) {
		Heartbeat beat = this.lastBeat;
		String state = this.state.name().toLowerCase(Locale.ROOT);
		long uptime = TimeUnit.NANOSECONDS.toMillis(now - this.startedNanos);
		if (beat == null) {
			return new ProcessView.Worker(this.id, pid(), state, uptime, 0, 0, 0, 0, this.privateMemory, 0, 0, 0, 0,
					this.cpuMillis);
		}
		return new ProcessView.Worker(this.id, pid(), state, uptime, beat.completed(), beat.inFlight(), beat.busy(),
				beat.threads(), this.privateMemory, beat.connections(), beat.queued(),
				beat.saturationPerMille() / 1000.0, beat.exceptions(), this.cpuMillis);
	}

	/** Requests this worker had finished when it last reported. */
	long completed() {
		Heartbeat beat = this.lastBeat;
		return (beat != null) ? beat.completed() : 0;
	}

	void ready() {
		if (this.state == State.BOOTING) {
			this.state = State.READY;
		}
		this.lastBeatNanos = System.nanoTime();
		this.progressNanos = this.lastBeatNanos;
	}

	void beat(Heartbeat heartbeat) {
		long now = System.nanoTime();
		Heartbeat previous = this.lastBeat;
		if (previous == null || !heartbeat.saturated() || heartbeat.completed() != previous.completed()) {
			this.progressNanos = now;
		}
		this.lastBeat = heartbeat;
		this.lastBeatNanos = now;
	}

	/**
	 * Reads its private memory and CPU time, once per pass of supervision, for the recycling
	 * check and the view.
	 */
	void sample() {
		this.privateMemory = PrivateMemory.of(pid());
		this.cpuMillis = this.process.info().totalCpuDuration().map(Duration::toMillis).orElse(0L);
	}

	/**
	 * Why this worker is due to be recycled now, or {@code null}: it served its requests, reached
	 * its age, or holds more private memory than allowed.
	 */
	@Nullable String recycleReason(long now, long maxMemory) {
		Heartbeat beat = this.lastBeat;
		if (this.requestLimit > 0 && beat != null && beat.completed() >= this.requestLimit) {
			return "served " + beat.completed() + " requests";
		}
		if (this.lifetimeNanos > 0 && now - this.startedNanos > this.lifetimeNanos) {
			return "reached its lifetime (" + TimeUnit.NANOSECONDS.toSeconds(now - this.startedNanos) + " s)";
		}
		if (maxMemory > 0 && !this.memoryLimitBelowBoot) {
			long privateMemory = this.privateMemory;
			boolean firstCheck = !this.memoryChecked;
			this.memoryChecked = true;
			if (privateMemory > maxMemory) {
				if (firstCheck) {
					// Over the limit right after booting: a replacement would be too, and the
					// workers would be recycled one after the other for ever.
					this.memoryLimitBelowBoot = true;
					logger.warn(this + " holds " + (privateMemory >> 20) + " MB of private memory right after it "
							+ "booted, over prefork.process.max-memory (" + (maxMemory >> 20) + " MB): it is not "
							+ "recycled for memory; raise the limit");
					return null;
				}
				return "private memory " + (privateMemory >> 20) + " MB over the limit of " + (maxMemory >> 20) + " MB";
			}
		}
		return null;
	}

	/** Marks the worker as leaving, and why; the first reason given is the one reported. */
	boolean stopping(String reason) {
		if (this.state == State.STOPPING) {
			return false;
		}
		this.state = State.STOPPING;
		this.stopReason = reason;
		this.stoppingSinceNanos = System.nanoTime();
		return true;
	}

	/** SIGQUIT: the JVM prints every thread's stack to its output, which the arbiter copies to its log. */
	void dumpThreads() {
		signal("QUIT");
	}

	private boolean terminated;

	/** SIGTERM once: {@code false} if it was sent already. */
	boolean terminateOnce() {
		if (this.terminated) {
			return false;
		}
		this.terminated = true;
		terminate();
		return true;
	}

	/** SIGTERM: the application shuts down, gracefully if it is configured to. */
	void terminate() {
		this.process.destroy();
	}

	/** SIGKILL. */
	void kill() {
		this.process.destroyForcibly();
	}

	boolean awaitExit(long millis) throws InterruptedException {
		return this.process.waitFor(millis, TimeUnit.MILLISECONDS);
	}

	private void signal(String name) {
		try {
			Process kill = Children.start(new ProcessBuilder("kill", "-" + name, Long.toString(pid())));
			kill.waitFor(2, TimeUnit.SECONDS);
		}
		catch (IOException ex) {
			// No kill command: the stacks are not dumped, the worker is still stopped.
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * How the process ended, for the log: its exit code, with the signal it stands for when above
	 * 128 (143 is a JVM that ran its shutdown hooks on SIGTERM, 137 one killed by SIGKILL).
	 */
	String describeExit() {
		drainOutput();
		int code = this.process.exitValue();
		return (code > 128 && code < 160) ? "exit code " + code + ", signal " + (code - 128) : "exit code " + code;
	}

	@Override
	public String toString() {
		return "Worker " + this.id + " (pid " + pid() + ")";
	}

}
