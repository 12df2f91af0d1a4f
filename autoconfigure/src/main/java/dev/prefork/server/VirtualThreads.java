package dev.prefork.server;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import org.jspecify.annotations.Nullable;

/**
 * Virtual threads, where the Java running the engine has them (21 and later). The engine is built
 * for Java 17, so it reaches {@code Thread.ofVirtual()} through method handles, looked up once.
 */
final class VirtualThreads {

	private static final @Nullable MethodHandle OF_VIRTUAL = lookUp();

	private VirtualThreads() {
	}

	/** Whether this Java has virtual threads. */
	static boolean available() {
		return OF_VIRTUAL != null;
	}

	/** A virtual thread with this name, not started. */
	static Thread unstarted(String name, Runnable task) {
		MethodHandle ofVirtual = OF_VIRTUAL;
		if (ofVirtual == null) {
			throw new IllegalStateException("Virtual threads need Java 21 or later");
		}
		try {
			return (Thread) ofVirtual.invoke(name, task);
		}
		catch (Throwable ex) {
			throw new IllegalStateException("Could not create virtual thread " + name, ex);
		}
	}

	/** {@code (name, task) -> Thread.ofVirtual().name(name).unstarted(task)}, or null before Java 21. */
	private static @Nullable MethodHandle lookUp() {
		try {
			MethodHandles.Lookup lookup = MethodHandles.publicLookup();
			Class<?> builder = Class.forName("java.lang.Thread$Builder");
			Class<?> ofVirtualType = Class.forName("java.lang.Thread$Builder$OfVirtual");
			MethodHandle ofVirtual = lookup.findStatic(Thread.class, "ofVirtual", MethodType.methodType(ofVirtualType));
			MethodHandle name = lookup.findVirtual(ofVirtualType, "name", MethodType.methodType(ofVirtualType,
					String.class));
			MethodHandle unstarted = lookup.findVirtual(builder, "unstarted", MethodType.methodType(Thread.class,
					Runnable.class));
			// (name, task) -> unstarted(name(ofVirtual(), name), task)
			MethodHandle named = MethodHandles.foldArguments(name, ofVirtual);
			MethodHandle namedBuilder = named.asType(MethodType.methodType(builder, String.class));
			return MethodHandles.filterArguments(unstarted, 0, namedBuilder)
				.asType(MethodType.methodType(Thread.class, String.class, Runnable.class));
		}
		catch (ReflectiveOperationException ex) {
			return null;
		}
	}

}
