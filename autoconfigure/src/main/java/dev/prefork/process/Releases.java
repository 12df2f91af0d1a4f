package dev.prefork.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Which command new worker JVMs run: the one the arbiter was started with, or, with a
 * {@link ClassDataCache}, its extracted jar and CDS archive, built off the arbiter's thread (a
 * training run takes seconds, and supervision must go on meanwhile) at boot and when a restart
 * deploys the jar now on disk. With the cache, new code reaches the workers on a restart only: a
 * worker replaced meanwhile runs the same build as the others.
 */
final class Releases {

	private static final Log logger = LogFactory.getLog(Releases.class);

	private final WorkerCommand started;

	private final @Nullable ClassDataCache cache;

	private volatile WorkerCommand current;

	/** Whether {@link #current} is a build of the cache (else the jar as it is on disk). */
	private boolean built;

	private @Nullable CompletableFuture<WorkerCommand> building;

	/** A restart asked for while a build ran: the jar on disk may have changed again since. */
	private boolean buildAgain;

	Releases(WorkerCommand started, @Nullable ClassDataCache cache) {
		this.started = started;
		this.cache = cache;
		this.current = started;
	}

	/** The command a new worker JVM runs now. */
	WorkerCommand current() {
		WorkerCommand command = this.current;
		Path jar = command.jar();
		if (this.built && jar != null && !Files.isRegularFile(jar)) {
			// Taken by a cleaner of temporary files, or by hand: the jar as started still boots.
			logger.warn("Class data cache: " + jar + " is gone; worker JVMs run " + this.started.jar() + " as it is");
			this.built = false;
			this.current = this.started;
		}
		return this.current;
	}

	/**
	 * Keeps the builds that {@code running} (the commands of the worker JVMs alive) and new
	 * workers run, so that no arbiter sharing the cache removes them.
	 */
	void retain(Collection<WorkerCommand> running) {
		ClassDataCache cache = this.cache;
		if (cache != null) {
			List<WorkerCommand> commands = new ArrayList<>(running);
			commands.add(this.current);
			cache.retain(commands);
		}
	}

	boolean builds() {
		return this.cache != null;
	}

	/** Starts building the jar on disk now, unless a build is under way. */
	void build() {
		ClassDataCache cache = this.cache;
		if (cache == null) {
			return;
		}
		if (this.building != null) {
			this.buildAgain = true;
			return;
		}
		this.building = CompletableFuture.supplyAsync(() -> {
			try {
				return cache.prepare(this.started);
			}
			catch (IOException ex) {
				throw new CompletionException(ex);
			}
		}, (task) -> {
			Thread thread = new Thread(task, "prefork-cds");
			thread.setDaemon(true);
			thread.start();
		});
	}

	/**
	 * The outcome of the build under way once it is over, {@code null} before (or with none):
	 * {@code true} when new workers are to run the new build (or, when the cache could not be
	 * used at all, the jar on disk), {@code false} when a build failed after an earlier one had
	 * worked, and the workers are to keep the code they run.
	 */
	@Nullable Boolean poll() {
		CompletableFuture<WorkerCommand> build = this.building;
		if (build == null || !build.isDone()) {
			return null;
		}
		this.building = null;
		if (this.buildAgain) {
			// The restart asked for last is of the jar on disk now: built from scratch or found.
			this.buildAgain = false;
			build();
			return null;
		}
		try {
			this.current = build.join();
			this.built = true;
			return true;
		}
		catch (CompletionException ex) {
			String reason = (ex.getCause() != null) ? ex.getCause().getMessage() : ex.getMessage();
			if (this.built) {
				logger.error("Restart cancelled, the workers keep running " + this.current.jar()
						+ ": the class data cache could not build the jar on disk: " + reason);
				return false;
			}
			logger.warn("Class data cache not used, worker JVMs run " + this.started.jar() + " as it is: " + reason);
			this.current = this.started;
			return true;
		}
	}

	/** Stops a training run under way: the arbiter is leaving, and leaves no process behind. */
	void cancel() {
		ClassDataCache cache = this.cache;
		if (cache != null) {
			cache.cancel();
		}
	}

}
