package dev.prefork.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * A worker asked for virtual threads gets exactly its number of them, named after the worker and
 * knowing it; on a Java without them, asking fails at once instead of falling back unseen.
 */
class VirtualThreadsTests {

	@Test
	@EnabledForJreRange(min = JRE.JAVA_21)
	void aWorkerOnVirtualThreadsRunsOnItsOwnNamedThreadsAndNoMore() throws Exception {
		Worker worker = new Worker("prefork-w3-t", 3, 1, 2, true, 8, 10, 0, new IgnoringListener());
		try {
			worker.boot(WorkerInitializer.NONE);
			worker.activate();
			Set<String> names = ConcurrentHashMap.newKeySet();
			Set<Boolean> onWorker = ConcurrentHashMap.newKeySet();
			Set<Boolean> virtual = ConcurrentHashMap.newKeySet();
			CountDownLatch done = new CountDownLatch(6);
			for (int i = 0; i < 6; i++) {
				worker.execute(() -> {
					names.add(Thread.currentThread().getName());
					onWorker.add(Worker.current() == worker);
					virtual.add(isVirtual(Thread.currentThread()));
					done.countDown();
				});
			}
			assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
			assertThat(names).isSubsetOf("prefork-w3-t1", "prefork-w3-t2");
			assertThat(onWorker).containsOnly(true);
			assertThat(virtual).containsOnly(true);
			assertThat(worker.isVirtualThreads()).isTrue();
			assertThat(worker.getExecutor().getPoolSize()).isEqualTo(2);
		}
		finally {
			worker.abort("test over");
		}
	}

	@Test
	@EnabledForJreRange(min = JRE.JAVA_21)
	void settingsTakeVirtualThreadsWhereJavaHasThem() {
		assertThat(VirtualThreads.available()).isTrue();
		assertThat(ServerSettings.builder().virtualThreads(true).build().virtualThreads()).isTrue();
	}

	@Test
	@EnabledForJreRange(max = JRE.JAVA_20)
	void beforeJava21AskingForVirtualThreadsFailsNamingTheJavaNeeded() {
		assertThat(VirtualThreads.available()).isFalse();
		assertThatIllegalStateException().isThrownBy(() -> ServerSettings.builder().virtualThreads(true))
			.withMessageContaining("Java 21");
		assertThat(ServerSettings.builder().virtualThreads(false).build().virtualThreads()).isFalse();
	}

	private static final class IgnoringListener implements WorkerListener {

		@Override
		public void maxRequestsReached(Worker worker) {
		}

		@Override
		public void drained(Worker worker) {
		}

		@Override
		public void threadAbandoned(Worker worker) {
		}

		@Override
		public boolean adopt(Runnable continuation) {
			return false;
		}

	}

	private static boolean isVirtual(Thread thread) {
		try {
			return (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
		}
		catch (ReflectiveOperationException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
