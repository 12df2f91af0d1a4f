package dev.prefork.autoconfigure;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.thread.Threading;
import org.springframework.core.env.Environment;

/**
 * Whether workers run on virtual threads: Spring Boot's own switch,
 * {@code spring.threads.virtual.enabled}, decides, so that one property turns them on for the whole
 * application. Prefork adds no property of its own for it.
 */
final class VirtualThreadsSetting {

	static final String PROPERTY = "spring.threads.virtual.enabled";

	private static final Log logger = LogFactory.getLog(VirtualThreadsSetting.class);

	private VirtualThreadsSetting() {
	}

	/**
	 * Reads the switch, and says once, when the application context is built, that it has no effect
	 * on a Java without virtual threads (Boot ignores it there without a word).
	 */
	static boolean resolve(Environment environment) {
		if (Threading.VIRTUAL.isActive(environment)) {
			return true;
		}
		if (environment.getProperty(PROPERTY, Boolean.class, false)) {
			logger.warn(PROPERTY + "=true has no effect on Java " + Runtime.version().feature()
					+ ": virtual threads need Java 21 or later, so Prefork's workers run on platform threads");
		}
		return false;
	}

}
