package dev.prefork.autoconfigure.actuate;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import dev.prefork.server.Worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A request that runs past {@code prefork.request-timeout} in a full Boot application: the client
 * gets the 503, the operator one warning, and the exception the interrupt causes in the handler is
 * neither logged as a 500 nor recorded as an application exception.
 */
@ExtendWith(OutputCaptureExtension.class)
class RequestTimeoutIntegrationTests {

	@Test
	void aTimedOutRequestIsAnswered503AndLoggedOnceAsATimeout(CapturedOutput output) throws Exception {
		try (ActuatorTestApplication.Running app = new ActuatorTestApplication.Running("--prefork.workers=1",
				// Long enough for the first actuator answer of a cold JVM on a busy machine.
				"--prefork.request-timeout=2s")) {
			HttpResponse<String> response = app.get("/hang");
			assertThat(response.statusCode()).isEqualTo(503);
			Worker worker = app.server().getArbiter().getActiveWorkers().get(0);
			// The interrupted handler fails after the 503 was sent; wait until it has.
			await().until(() -> worker.getBusyThreads() == 0);
			assertThat(output).contains("Request GET /hang on worker 1 timed out");
			assertThat(output).doesNotContain("500 Server Error").doesNotContain("already sent");
			assertThat(app.json("/actuator/prefork/exceptions").path("total").asLong()).isZero();
			assertThat(app.server().getRequestOutcomes().getRequestTimeouts()).isEqualTo(1);
		}
	}

}
