package dev.prefork.test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link NettyLeakCheck}: the build runs with paranoid leak detection, and a buffer
 * dropped without {@code release()} is reported, so the check that every test class gets can fail.
 */
class NettyLeakCheckTests {

	@Test
	void testsRunWithParanoidLeakDetection() {
		assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
	}

	@Test
	void aBufferDroppedWithoutReleaseIsReported() throws Exception {
		NettyLeakCheck.collectLeaks();
		leakOne();
		assertThat(NettyLeakCheck.collectLeaks()).anySatisfy((leak) -> assertThat(leak).startsWith("LEAK: ByteBuf")
			.contains("leakOne"));
	}

	private static void leakOne() {
		ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(64);
		buffer.writeInt(42);
	}

}
