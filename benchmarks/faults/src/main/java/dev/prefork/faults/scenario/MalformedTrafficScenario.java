package dev.prefork.faults.scenario;

import java.time.Duration;
import java.util.List;

import dev.prefork.faults.app.SampleApp;
import dev.prefork.faults.load.BackgroundLoad;
import dev.prefork.faults.load.ResponsePolicy;

/**
 * The shared conformance corpus (valid and malformed raw requests) replayed in a loop alongside the
 * background load: the background must not lose a request and the server must stay alive.
 */
final class MalformedTrafficScenario implements Scenario {

	@Override
	public String name() {
		return "malformed-traffic";
	}

	@Override
	public void run(ScenarioContext context, ScenarioResult result) throws Exception {
		Duration duration = context.pick(Duration.ofSeconds(6), Duration.ofSeconds(60));
		List<ConformanceCorpus.Request> corpus = ConformanceCorpus.load(context.conformance());
		result.injected("the " + corpus.size() + " raw requests of ../shared/conformance (gunicorn's valid and invalid "
				+ "corpus) replayed in a loop, one connection each, for " + duration.toSeconds() + " s");
		// The default profile: the conformance profile's catch-all route would also answer /hello and /work.
		try (SampleApp app = context.startApp(name())) {
			BackgroundLoad background = context.startBackground(app, ResponsePolicy.STRICT);
			ScenarioContext.pause(Duration.ofSeconds(2));
			CorpusReplayer replayer = new CorpusReplayer(app.address(), corpus);
			replayer.run(duration);
			background.stop();
			result.background(background.total());

			result.byDesign("corpus requests replayed", replayer.sent());
			result.require(replayer.failedAliveChecks() == 0, "the server answered 200 on a new connection after every pass",
					replayer.failedAliveChecks() + " of " + replayer.passes() + " checks failed");
			result.require(replayer.badAnswers().isEmpty(), "every answer HTTP/1.x and no 5xx but 501/503/505",
					replayer.badAnswers());
			result.measure("corpus", String.format("%,d requests in %d passes, answers: %s", replayer.sent(),
					replayer.passes(), replayer.answers()));
			ScenarioContext.requireHealthy(app, result, Duration.ofSeconds(15));
		}
	}

}
