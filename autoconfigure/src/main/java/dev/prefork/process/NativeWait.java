package dev.prefork.process;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Array;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * {@code waitpid(pid, NULL, WNOHANG)} from libc, called through {@code java.lang.foreign}: the
 * only way a JVM without native code of its own can wait for a process it did not start. That API
 * is final from Java 22; the project builds for Java 17, so it is reached by reflection, and is
 * simply absent on older JVMs.
 */
final class NativeWait {

	/** {@code WNOHANG} on Linux: return at once when the process has not exited. */
	private static final int WNOHANG = 1;

	/** {@code (pid, options) -> waitpid(pid, NULL, options)}: no status wanted. */
	private final MethodHandle waitpid;

	private NativeWait(MethodHandle waitpid) {
		this.waitpid = waitpid;
	}

	/** {@code waitpid} through the JVM's native linker, or {@code null} before Java 22. */
	static @Nullable NativeWait load() {
		if (Runtime.version().feature() < 22) {
			return null;
		}
		try {
			Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
			Class<?> lookupType = Class.forName("java.lang.foreign.SymbolLookup");
			Class<?> layoutType = Class.forName("java.lang.foreign.MemoryLayout");
			Class<?> valueLayoutType = Class.forName("java.lang.foreign.ValueLayout");
			Class<?> descriptorType = Class.forName("java.lang.foreign.FunctionDescriptor");
			Class<?> segmentType = Class.forName("java.lang.foreign.MemorySegment");
			Class<?> optionType = Class.forName("java.lang.foreign.Linker$Option");
			Object linker = linkerType.getMethod("nativeLinker").invoke(null);
			Object lookup = linkerType.getMethod("defaultLookup").invoke(linker);
			Optional<?> symbol = (Optional<?>) lookupType.getMethod("find", String.class).invoke(lookup, "waitpid");
			if (symbol.isEmpty()) {
				return null;
			}
			Object integer = valueLayoutType.getField("JAVA_INT").get(null);
			Object[] parameters = (Object[]) Array.newInstance(layoutType, 3);
			parameters[0] = integer;
			parameters[1] = valueLayoutType.getField("ADDRESS").get(null);
			parameters[2] = integer;
			Object descriptor = descriptorType.getMethod("of", layoutType, parameters.getClass())
				.invoke(null, integer, parameters);
			Object noOptions = Array.newInstance(optionType, 0);
			MethodHandle waitpid = (MethodHandle) linkerType
				.getMethod("downcallHandle", segmentType, descriptorType, noOptions.getClass())
				.invoke(linker, symbol.get(), descriptor, noOptions);
			return new NativeWait(MethodHandles.insertArguments(waitpid, 1, segmentType.getField("NULL").get(null)));
		}
		catch (ReflectiveOperationException | RuntimeException | LinkageError ex) {
			return null;
		}
	}

	/** Reaps {@code pid} if it is an exited child of this process; whether it did. */
	boolean reap(long pid) {
		try {
			return (int) this.waitpid.invokeExact((int) pid, WNOHANG) == pid;
		}
		catch (Throwable ex) {
			return false;
		}
	}

}
