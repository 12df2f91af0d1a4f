package dev.prefork.test;

import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class after which Netty reports a leaked {@link ByteBuf}: what its leak detector
 * logs as {@code LEAK:}. Registered for every test class (JUnit's extension auto-detection,
 * {@code junit-platform.properties}); the build runs tests with
 * {@code -Dio.netty.leakDetection.level=paranoid}, so that every buffer is tracked.
 * <p>
 * Netty notices a leak only once the buffer has been garbage-collected and a later allocation
 * polls its reference queue, so after each class this collects garbage and allocates.
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {

	private static final List<String> leaks = new CopyOnWriteArrayList<>();

	private static volatile boolean installed;

	@Override
	public void beforeAll(ExtensionContext context) throws Exception {
		install();
		leaks.clear();
	}

	@Override
	public void afterAll(ExtensionContext context) throws Exception {
		List<String> found = collectLeaks();
		if (!found.isEmpty()) {
			throw new AssertionError(found.size() + " ByteBuf leak(s) reported by Netty after "
					+ context.getDisplayName() + ":\n" + String.join("\n----\n", found));
		}
	}

	/** Lets Netty find the buffers that were collected unreleased, and returns (and forgets) its reports. */
	public static List<String> collectLeaks() throws Exception {
		install();
		for (int round = 0; round < 3; round++) {
			System.gc();
			Thread.sleep(50);
			for (int i = 0; i < 64; i++) {
				PooledByteBufAllocator.DEFAULT.directBuffer(16).release();
				PooledByteBufAllocator.DEFAULT.heapBuffer(16).release();
			}
		}
		List<String> found = List.copyOf(leaks);
		leaks.clear();
		return found;
	}

	private static synchronized void install() throws ReflectiveOperationException {
		if (installed) {
			return;
		}
		// The detector that tracks every ByteBuf lives in a package-private field.
		Field field = AbstractByteBuf.class.getDeclaredField("leakDetector");
		field.setAccessible(true);
		ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) field.get(null);
		detector.setLeakListener((resourceType, records) -> leaks.add("LEAK: " + resourceType + records));
		installed = true;
	}

}
