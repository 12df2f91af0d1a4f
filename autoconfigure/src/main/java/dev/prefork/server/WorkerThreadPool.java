package dev.prefork.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker's fixed pool of named threads ({@code prefork-w<id>-t<n>}, so that a stack trace says
 * which worker) in front of a bounded queue. Its hooks keep the worker's heartbeat and busy count.
 */
final class WorkerThreadPool extends ThreadPoolExecutor {

	private final Listener listener;

	private final NamedThreads threadFactory;

	private WorkerThreadPool(int threads, int queueSize, NamedThreads threadFactory, Listener listener) {
		super(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(queueSize), threadFactory);
		this.threadFactory = threadFactory;
		this.listener = listener;
	}

	static WorkerThreadPool create(int threads, int queueSize, String namePrefix, boolean virtual,
			Runnable onThreadStart, Listener listener) {
		return new WorkerThreadPool(threads, queueSize, new NamedThreads(namePrefix, virtual, onThreadStart),
				listener);
	}

	@Override
	protected void beforeExecute(Thread thread, Runnable task) {
		this.listener.taskStarting(task);
	}

	@Override
	protected void afterExecute(Runnable task, Throwable failure) {
		this.listener.taskFinished();
	}

	/** Every thread this pool created that may still be alive. */
	List<Thread> threads() {
		return this.threadFactory.created();
	}

	/** What the pool tells its worker. */
	interface Listener {

		/** A thread took {@code task} from the queue and is about to run it. */
		void taskStarting(Runnable task);

		void taskFinished();

	}

	/**
	 * Daemon threads, so that a thread stuck for good in application code cannot keep the JVM alive;
	 * {@code stop()} still waits for every healthy thread to end. Virtual ones where asked (they are
	 * daemons by nature), named like platform ones, so that a stack trace says which worker.
	 */
	private static final class NamedThreads implements ThreadFactory {

		private final String namePrefix;

		private final boolean virtual;

		private final Runnable onThreadStart;

		private final AtomicInteger count = new AtomicInteger();

		private final List<Thread> created = new ArrayList<>();

		NamedThreads(String namePrefix, boolean virtual, Runnable onThreadStart) {
			this.namePrefix = namePrefix;
			this.virtual = virtual;
			this.onThreadStart = onThreadStart;
		}

		@Override
		public Thread newThread(Runnable runnable) {
			Runnable body = () -> {
				this.onThreadStart.run();
				runnable.run();
			};
			String name = this.namePrefix + this.count.incrementAndGet();
			Thread thread = this.virtual ? VirtualThreads.unstarted(name, body) : new Thread(body, name);
			if (!this.virtual) {
				thread.setDaemon(true);
			}
			synchronized (this.created) {
				this.created.removeIf((existing) -> !existing.isAlive() && existing.getState() != Thread.State.NEW);
				this.created.add(thread);
			}
			return thread;
		}

		List<Thread> created() {
			synchronized (this.created) {
				return List.copyOf(this.created);
			}
		}

	}

}
