package dev.prefork.autoconfigure.actuate;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With {@code prefork.signals.enabled=true}, gunicorn's TTIN and TTOU sent to the JVM add and
 * remove a worker.
 */
class PreforkSignalsIntegrationTests {

	@Test
	void ttinAddsAWorkerAndTtouRemovesOne() throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=2",
				"--prefork.signals.enabled=true")) {
			signal("TTIN");
			await().atMost(Duration.ofSeconds(10)).until(() -> app.server().getArbiter().getActiveWorkers().size() == 3);
			signal("TTOU");
			signal("TTOU");
			await().atMost(Duration.ofSeconds(10)).until(() -> app.server().getArbiter().getWorkers().size() == 1);
			assertThat(app.server().getArbiter().getTargetWorkers()).isEqualTo(1);
			signal("TTOU"); // never below one worker
			assertThat(app.get("/hello").statusCode()).isEqualTo(200);
			assertThat(app.server().getArbiter().getTargetWorkers()).isEqualTo(1);
		}
	}

	private static void signal(String name) throws Exception {
		Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(ProcessHandle.current().pid())).start();
		assertThat(kill.waitFor()).isZero();
	}

}
