package dev.prefork.server;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import static org.awaitility.Awaitility.await;

/**
 * The lines written to the access-log category while it is open, caught by a Logback appender
 * attached to that category, as an application's logging configuration would route them.
 */
final class AccessLogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

	private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();

	private final Logger logger = (Logger) LoggerFactory.getLogger(AccessLog.CATEGORY);

	private final Level level;

	AccessLogCapture() {
		this.level = this.logger.getLevel();
		this.logger.setLevel(Level.INFO);
		setName("access-log-capture");
		setContext(this.logger.getLoggerContext());
		start();
		this.logger.addAppender(this);
	}

	@Override
	protected void append(ILoggingEvent event) {
		this.events.add(event);
	}

	List<String> lines() {
		return this.events.stream().map(ILoggingEvent::getFormattedMessage).toList();
	}

	/** Waits until {@code count} lines have been written, and returns them. */
	List<String> awaitLines(int count) {
		await().atMost(Duration.ofSeconds(10)).until(() -> this.events.size() >= count);
		return lines();
	}

	/** Waits for the one line expected, and returns it. */
	String single() {
		List<String> lines = awaitLines(1);
		return lines.get(0);
	}

	List<ILoggingEvent> events() {
		return List.copyOf(this.events);
	}

	@Override
	public void close() {
		this.logger.detachAppender(this);
		this.logger.setLevel(this.level);
		stop();
	}

}
