package dev.prefork.integration;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

/**
 * An application run in process mode by {@code ProcessModeLifecycleTests} and {@code ProcessModeSupervisionTests}, as a user runs theirs
 * ({@code main}, {@code prefork.mode=processes} among its arguments). {@code /pid} says which
 * JVM answered, {@code /work?ms=N} blocks a thread, {@code /grow?mb=N} keeps N more megabytes
 * for good, {@code /readiness?state=refusing|accepting} publishes that readiness state,
 * {@code /orphans?n=N} leaves N processes of a second behind, {@code /hang} never returns (and ignores
 * interrupts; it says in which JVM it hangs), and its startup code says in which JVM it ran. With {@code test.fail-boot=true} it
 * fails to start, as an application with a broken bean does; {@code test.ready-delay-ms=N} makes
 * it ready N ms after its servers started.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class ProcessModeApplication {

	/** What {@code /grow} keeps: a leak, as far as the JVM can tell. */
	private static final List<byte[]> RETAINED = new ArrayList<>();

	public static void main(String[] args) {
		SpringApplication.run(ProcessModeApplication.class, args);
	}

	@Bean
	ApplicationRunner announce(Environment environment) {
		return (args) -> {
			if (environment.getProperty("test.fail-boot", Boolean.class, false)) {
				throw new IllegalStateException("test.fail-boot is set: this application will not start");
			}
			// Servers started, application not ready yet: what a runner warming a cache makes last.
			sleep(Duration.ofMillis(environment.getProperty("test.ready-delay-ms", Long.class, 0L)));
			System.out.println("application code ran in pid " + ProcessHandle.current().pid());
		};
	}

	@Bean
	RouterFunction<ServerResponse> routes(ApplicationContext context) {
		return RouterFunctions.route(GET("/pid"), (request) -> ServerResponse.ok()
			.bodyValue(Long.toString(ProcessHandle.current().pid())))
			.andRoute(GET("/readiness"), (request) -> {
				// The application takes itself out of traffic, or back, as Boot lets it.
				boolean refusing = request.queryParam("state").orElse("").equals("refusing");
				AvailabilityChangeEvent.publish(context,
						refusing ? ReadinessState.REFUSING_TRAFFIC : ReadinessState.ACCEPTING_TRAFFIC);
				return ServerResponse.ok().bodyValue(Long.toString(ProcessHandle.current().pid()));
			})
			.andRoute(GET("/work"), (request) -> {
				sleep(Duration.ofMillis(Long.parseLong(request.queryParam("ms").orElse("10"))));
				return ServerResponse.ok().bodyValue(Long.toString(ProcessHandle.current().pid()));
			})
			.andRoute(GET("/grow"), (request) -> {
				int megabytes = Integer.parseInt(request.queryParam("mb").orElse("1"));
				synchronized (RETAINED) {
					// In chunks well under G1's region size: bigger ones take two regions each.
					for (int i = 0; i < megabytes * 8; i++) {
						RETAINED.add(new byte[128 * 1024]);
					}
				}
				return ServerResponse.ok().bodyValue(Long.toString(ProcessHandle.current().pid()));
			})
			.andRoute(GET("/orphans"), (request) -> {
				// sh starts the sleeps and exits at once: orphans, which the kernel gives to the
				// nearest init, the arbiter when it is PID 1.
				int count = Integer.parseInt(request.queryParam("n").orElse("1"));
				try {
					new ProcessBuilder("sh", "-c", "for i in $(seq " + count + "); do sleep 1 & done")
						.redirectErrorStream(true)
						.redirectOutput(ProcessBuilder.Redirect.DISCARD)
						.start()
						.waitFor();
				}
				catch (IOException | InterruptedException ex) {
					throw new IllegalStateException(ex);
				}
				return ServerResponse.ok().bodyValue(Long.toString(ProcessHandle.current().pid()));
			})
			.andRoute(GET("/hang"), (request) -> {
				System.out.println("hanging in pid " + ProcessHandle.current().pid());
				while (true) {
					sleep(Duration.ofSeconds(1));
				}
			});
	}

	private static void sleep(Duration duration) {
		try {
			Thread.sleep(duration.toMillis());
		}
		catch (InterruptedException ex) {
			// /hang is the stubborn code a JVM cannot stop: it goes on.
		}
	}

	@Bean
	SecurityWebFilterChain openToEveryone(ServerHttpSecurity http) {
		// The tests post to the actuator endpoint, without a CSRF token.
		return http.authorizeExchange((exchanges) -> exchanges.anyExchange().permitAll())
			.csrf(ServerHttpSecurity.CsrfSpec::disable)
			.build();
	}

}
