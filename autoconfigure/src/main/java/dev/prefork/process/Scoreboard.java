package dev.prefork.process;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file of counters every worker JVM maps (Unicorn's and uWSGI's scoreboard): one slot per
 * worker, holding the connections it has open, read live by the others. The arbiter creates it in
 * its private directory and zeroes the slot of a worker that has gone. The heartbeat is a second
 * late; deciding who takes the next connection of a burst needs the counts as they are now.
 */
public final class Scoreboard {

	/** Slots, one per worker JVM alive at once; as many as there may be workers. */
	public static final int SLOTS = ProcessArbiter.MAX_WORKERS;

	private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class,
			ByteOrder.nativeOrder());

	private final ByteBuffer counters;

	private Scoreboard(ByteBuffer counters) {
		this.counters = counters;
	}

	/** Creates the file, every slot zero (the arbiter). */
	static Scoreboard create(Path path) throws IOException {
		return map(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
	}

	/** Maps the file the arbiter created (a worker). */
	public static Scoreboard open(Path path) throws IOException {
		return map(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
	}

	private static Scoreboard map(Path path, StandardOpenOption... options) throws IOException {
		try (FileChannel file = FileChannel.open(path, options)) {
			// The mapping outlives the channel; the kernel keeps the pages shared between processes.
			MappedByteBuffer counters = file.map(FileChannel.MapMode.READ_WRITE, 0, (long) SLOTS * Long.BYTES);
			return new Scoreboard(counters);
		}
	}

	public void set(int slot, long value) {
		LONGS.setVolatile(this.counters, slot * Long.BYTES, value);
	}

	public long get(int slot) {
		return (long) LONGS.getVolatile(this.counters, slot * Long.BYTES);
	}

}
