package dev.prefork.autoconfigure;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.netty.channel.epoll.Epoll;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.util.unit.DataSize;

import dev.prefork.process.ProcessArbiter;
import dev.prefork.process.ProcessArbiterSettings;
import dev.prefork.process.WorkerCommand;
import dev.prefork.server.PreforkReactiveWebServerFactory;
import dev.prefork.server.ServerSettings;

/**
 * Makes the process a user starts the arbiter of process mode ({@code prefork.mode=processes}):
 * once the configuration is read (and logging set up), and before any bean exists, it binds the
 * listening socket and runs worker JVMs of the same application instead of the application
 * itself, then exits with the arbiter's exit code. A user's {@code @Scheduled} job or listener
 * thus runs in the workers only, never once more in the arbiter. In a worker JVM (its control
 * socket in the environment), in the class data cache's training run and in thread mode it does
 * nothing.
 */
final class ProcessModeLauncher implements ApplicationListener<ApplicationEnvironmentPreparedEvent>, Ordered {

	/** How long a worker JVM may take to boot and say it is ready. */
	static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);

	@Override
	public int getOrder() {
		// After Boot's own listeners, logging's included: the arbiter logs as the application would.
		return Ordered.LOWEST_PRECEDENCE;
	}

	@Override
	public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
		ConfigurableEnvironment environment = event.getEnvironment();
		Binder binder = Binder.get(environment);
		PreforkProperties.Mode mode = binder.bind("prefork.mode", PreforkProperties.Mode.class)
			.orElse(PreforkProperties.Mode.THREADS);
		if (mode != PreforkProperties.Mode.PROCESSES || environment.getProperty(WorkerCommand.CONTROL_SOCKET) != null
				|| environment.getProperty(WorkerCommand.TRAINING) != null) {
			return;
		}
		ProcessArbiterSettings settings = settings(binder);
		Class<?> mainClass = event.getSpringApplication().getMainApplicationClass();
		WorkerCommand command = WorkerCommand.ofThisJvm((mainClass != null) ? mainClass.getName() : "", event.getArgs());
		System.exit(new ProcessArbiter(settings, command, System.out).run());
	}

	/**
	 * The management server's socket when the actuator has a port of its own (read as Boot reads
	 * it), which the arbiter binds and shares too: every worker JVM's management server serves on
	 * it, as every worker serves on the application's.
	 */
	private static ProcessArbiterSettings.@Nullable Listener managementListener(Binder binder, int serverPort) {
		Integer managementPort = binder.bind("management.server.port", Integer.class).orElse(null);
		if (managementPort == null || managementPort < 0 || (managementPort != 0 && managementPort == serverPort)) {
			return null;
		}
		InetAddress address = binder.bind("management.server.address", InetAddress.class).orElse(null);
		return new ProcessArbiterSettings.Listener(address, managementPort);
	}

	/** The CDS directory, made if need be: one that cannot be is a bad setting, named at startup. */
	private static @Nullable Path cdsDirectory(@Nullable File directory) {
		if (directory == null) {
			return null;
		}
		Path path = directory.toPath().toAbsolutePath();
		try {
			Files.createDirectories(path);
		}
		catch (IOException | RuntimeException ex) {
			throw new InvalidPreforkPropertyException("prefork.process.cds-directory", directory,
					"a directory the application can create and write (" + ex + ")");
		}
		if (!Files.isWritable(path)) {
			throw new InvalidPreforkPropertyException("prefork.process.cds-directory", directory,
					"a directory the application can write");
		}
		return path;
	}

	/** The arbiter's settings, each checked as in thread mode, so that a bad one is named. */
	static ProcessArbiterSettings settings(Binder binder) {
		if (!binder.bind("prefork.enabled", Boolean.class).orElse(true)) {
			throw new InvalidPreforkPropertyException("prefork.mode", "processes",
					"threads when prefork.enabled is false (process mode runs Prefork's engine in every worker)");
		}
		if (!Epoll.isAvailable()) {
			throw new InvalidPreforkPropertyException("prefork.mode", "processes",
					"threads on this platform: process mode needs Linux with Netty's epoll transport ("
							+ Epoll.unavailabilityCause() + ")");
		}
		PreforkProperties properties = binder.bind("prefork", Bindable.of(PreforkProperties.class))
			.orElseGet(PreforkProperties::new);
		PreforkPropertiesValidator.validate(properties);
		PreforkReactiveWebServerFactory factory = new PreforkReactiveWebServerFactory();
		new PreforkReactiveWebServerFactoryCustomizer(properties, false).customize(factory);
		ServerSettings engine = factory.getSettings();
		InetAddress address = binder.bind("server.address", InetAddress.class).orElse(null);
		int port = binder.bind("server.port", Integer.class).orElse(8080);
		Duration graceful = binder.bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
			.orElse(Duration.ofSeconds(30));
		DataSize maxMemory = properties.getProcess().getMaxMemory();
		if (maxMemory != null && maxMemory.toBytes() <= 0) {
			throw new InvalidPreforkPropertyException("prefork.process.max-memory", maxMemory,
					"sizes greater than 0, or no value for no limit");
		}
		ProcessArbiterSettings.Recycling recycling = new ProcessArbiterSettings.Recycling(engine.maxRequests(),
				engine.maxRequestsJitter(), engine.maxWorkerLifetime(), (maxMemory != null) ? maxMemory.toBytes() : 0);
		return new ProcessArbiterSettings(engine.workers(), engine.threads(), address, port, engine.backlog(),
				engine.heartbeatTimeout(), BOOT_TIMEOUT, graceful, recycling, managementListener(binder, port),
				cdsDirectory(properties.getProcess().getCdsDirectory()));
	}

}
