package dev.prefork.server;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.jspecify.annotations.Nullable;

/**
 * Bounds the time a client may take to send a request head (slowloris defence). The clock
 * starts at the first byte of a head and stops when the codec has decoded the head. Bytes start
 * a head only between requests: once the previous request's body has been received in full and
 * its final response written. So neither body bytes (after a {@code 100 Continue}, or after an
 * answer given before the body was read) nor bytes pipelined while a response is still owed can
 * start it: a raw 408 must neither cut an upload short nor overtake a response. The keep-alive
 * idle time between requests is the idle timeout's business, not this one's.
 * <p>
 * Sits before the HTTP/1.1 codec and sees raw bytes, so on expiry it writes a raw {@code 408}
 * and closes. {@link RequestHeadGuard}, after the codec, tells it where the requests begin and
 * end. Event-loop confined, like every handler.
 */
final class HeadTimer extends ChannelInboundHandlerAdapter {

	private static final byte[] REQUEST_TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\n" + "Content-Length: 0\r\n"
			+ "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

	private final long timeoutNanos;

	private @Nullable ChannelHandlerContext context;

	/** From a request's head until its last content has been decoded. */
	private boolean inRequest;

	/** Whether a response is still owed to a request received earlier. */
	private boolean responseOwed;

	/** Bytes arrived between requests and have not become a head yet. */
	private boolean headStarted;

	/** The connection takes no more requests, so there is no next head to wait for. */
	private boolean stopped;

	/** Reads of the connection's bytes (decrypted ones, over TLS) so far. */
	private long reads;

	private @Nullable ScheduledFuture<?> timer;

	private final @Nullable RequestLineCapture requestLine;

	/**
	 * @param timeoutNanos the header timeout
	 * @param requestLine keeps the request line of a head still arriving, for the access log; or
	 * {@code null}, while the access log is off
	 */
	HeadTimer(long timeoutNanos, @Nullable RequestLineCapture requestLine) {
		this.timeoutNanos = timeoutNanos;
		this.requestLine = requestLine;
	}

	@Override
	public void handlerAdded(ChannelHandlerContext ctx) {
		this.context = ctx;
	}

	@Override
	public void handlerRemoved(ChannelHandlerContext ctx) {
		cancel(); // the connection switched protocols: its bytes are no longer HTTP/1.1 heads
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		boolean bytes = msg instanceof ByteBuf;
		if (bytes) {
			this.reads++;
		}
		if (bytes && !this.inRequest) {
			if (this.requestLine != null) {
				this.requestLine.read((ByteBuf) msg, !this.headStarted); // before the codec consumes it
			}
			this.headStarted = true;
		}
		ctx.fireChannelRead(msg);
		if (bytes) {
			// Judged after the codec has seen the bytes: a head that arrived whole never arms it.
			update();
		}
	}

	@Override
	public void channelInactive(ChannelHandlerContext ctx) {
		cancel();
		ctx.fireChannelInactive();
	}

	/** The codec produced a request head: stop the clock. */
	void headReceived() {
		this.inRequest = true;
		this.headStarted = false;
		if (this.requestLine != null) {
			this.requestLine.clear();
		}
		cancel();
	}

	/**
	 * The codec produced the request's last content: bytes from now on belong to the next head.
	 * Bytes after the end of a request in the same read are not seen as a head start; if their
	 * client then sends nothing more, the keep-alive idle timeout closes the connection.
	 */
	void requestReceived() {
		this.inRequest = false;
		update();
	}

	/** Whether responses are owed; a head that started while one was owed is timed once none is. */
	void responsesOwed(boolean owed) {
		this.responseOwed = owed;
		update();
	}

	/**
	 * Whether the connection is between requests: none being received, no response owed, no byte
	 * of a next head read.
	 */
	boolean betweenRequests() {
		return !this.inRequest && !this.responseOwed && !this.headStarted;
	}

	long reads() {
		return this.reads;
	}

	/** The connection will be closed after the responses owed: never time a head again. */
	void stop() {
		this.stopped = true;
		cancel();
	}

	private void update() {
		if (this.headStarted && !this.inRequest && !this.responseOwed && !this.stopped) {
			if (this.timer == null && this.context != null) {
				this.timer = this.context.executor().schedule(this::expire, this.timeoutNanos, TimeUnit.NANOSECONDS);
			}
		}
		else {
			cancel();
		}
	}

	private void expire() {
		this.timer = null;
		ChannelHandlerContext ctx = this.context;
		if (ctx != null && !ctx.isRemoved() && ctx.channel().isActive()) {
			this.stopped = true;
			ChannelFuture written = ctx.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT));
			RequestLineCapture requestLine = this.requestLine;
			RefusedRequest timedOut = (requestLine != null) ? requestLine.request(ctx.channel()) : null;
			if (requestLine != null && timedOut != null) {
				written.addListener(timedOut.logWhenWritten(requestLine.accessLog, 408));
			}
			written.addListener(ChannelFutureListener.CLOSE);
		}
	}

	private void cancel() {
		if (this.timer != null) {
			this.timer.cancel(false);
			this.timer = null;
		}
	}

	/**
	 * The request line of the head now arriving, copied from the raw bytes as they pass (the
	 * codec keeps what it parsed to itself), so that a head cut off by the timeout is logged with
	 * its request line as gunicorn would have read it. Only the line is kept, up to
	 * {@code limit-request-line} bytes: a longer one the decoder refuses with 414 anyway.
	 * <p>
	 * A head whose first bytes came in the read that ended the previous request is captured from
	 * the next read on, so cut off at its start: this handler sees those bytes before the codec has
	 * told where the previous request ended, and the codec keeps what is left to itself (a known
	 * limitation, in the README).
	 */
	static final class RequestLineCapture {

		private final int limit;

		private final AccessLog accessLog;

		/** Grown as needed: most lines are short, and a connection should not hold the limit. */
		private byte[] line = new byte[64];

		private int length;

		private boolean complete;

		private long startedNanos;

		RequestLineCapture(int limitRequestLine, AccessLog accessLog) {
			this.limit = limitRequestLine;
			this.accessLog = accessLog;
		}

		void read(ByteBuf bytes, boolean headStarts) {
			if (headStarts) {
				clear();
				this.startedNanos = System.nanoTime();
			}
			for (int i = bytes.readerIndex(); i < bytes.writerIndex() && !this.complete; i++) {
				byte b = bytes.getByte(i);
				if (b == '\n') {
					this.complete = this.length > 0; // empty lines before a request line are skipped
				}
				else if (b != '\r' && this.length < this.limit) {
					if (this.length == this.line.length) {
						this.line = Arrays.copyOf(this.line, Math.min(this.limit, 2 * this.line.length));
					}
					this.line[this.length++] = b;
				}
			}
		}

		void clear() {
			this.length = 0;
			this.complete = false;
		}

		/** The request whose line was complete when its head timed out, or {@code null}. */
		@Nullable RefusedRequest request(Channel channel) {
			if (!this.complete) {
				return null;
			}
			String[] parts = new String(this.line, 0, this.length, StandardCharsets.ISO_8859_1).split(" ", 3);
			if (parts.length < 3) {
				return null;
			}
			return new RefusedRequest(channel.remoteAddress(), parts[0], parts[1], parts[2],
					AccessLogEntry.Headers.NONE, this.startedNanos);
		}

	}

}
