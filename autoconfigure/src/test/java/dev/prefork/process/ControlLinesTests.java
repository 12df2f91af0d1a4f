package dev.prefork.process;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lines the arbiter and its worker JVMs exchange each second. A rolling restart boots workers
 * of a newer jar under an arbiter that started with an older one, so a reader takes the fields it
 * knows from a longer line, and defaults the ones a shorter line lacks.
 */
class ControlLinesTests {

	@Test
	void aHeartbeatReadsBackAsWritten() {
		Heartbeat beat = new Heartbeat(8, 3, 1200, 4, 17, 2, 437, 5);
		assertThat(Heartbeat.parse(beat.format(Heartbeat.PROTOCOL))).isEqualTo(beat);
	}

	@Test
	void anArbiterOfTheFirstVersionGetsTheFiveFieldsItAccepted() {
		// That arbiter refused any other count, and then timed the worker out for want of beats.
		assertThat(new Heartbeat(8, 3, 1200, 4, 17, 2, 437, 5).format(1)).isEqualTo("8 3 1200 4 17");
	}

	@Test
	void aHeartbeatOfAnOlderWorkerHasItsNewerFieldsZeroAndANewerOnesExtraFieldsAreIgnored() {
		// An older worker: a rollback under an arbiter of this version.
		assertThat(Heartbeat.parse("8 3 1200 4 17")).isEqualTo(new Heartbeat(8, 3, 1200, 4, 17, 0, 0, 0));
		assertThat(Heartbeat.parse("8 3 1200 4 17 2 437 5 99 100")).isEqualTo(new Heartbeat(8, 3, 1200, 4, 17, 2, 437, 5));
	}

	@Test
	void aMalformedHeartbeatIsNone() {
		assertThat(Heartbeat.parse("8 3 1200")).isNull();
		assertThat(Heartbeat.parse("8 3 lots 4 17")).isNull();
		assertThat(Heartbeat.parse("8 3 1200 4 99999999999")).isNull();
	}

	@Test
	void aViewReadsBackAsWritten() {
		ProcessView view = new ProcessView(42, 2, 5, 10_000, Map.of("crashed", 1L, "recycled", 2L),
				List.of(worker(3, "ready", 0.25), worker(4, "booting", 0)));
		assertThat(ProcessView.parse(view.format())).isEqualTo(view);
		ProcessView empty = new ProcessView(42, 0, 0, 0, Map.of(), List.of());
		assertThat(ProcessView.parse(empty.format())).isEqualTo(empty);
	}

	@Test
	void aViewOfAnOlderArbiterHasItsNewerFieldsZero() {
		ProcessView view = ProcessView.parse("42 2 5 10000 crashed=1 3,101,ready,5000,800,2,1,8,90000000,12");
		assertThat(view).isNotNull();
		assertThat(view.exits()).containsEntry("crashed", 1L);
		assertThat(view.workers()).containsExactly(
				new ProcessView.Worker(3, 101, "ready", 5000, 800, 2, 1, 8, 90_000_000, 12, 0, 0, 0, 0));
	}

	@Test
	void aViewOfANewerArbiterHasItsUnknownFiguresIgnored() {
		ProcessView view = ProcessView.parse(
				"42 2 5 10000 - 3,101,ready,5000,800,2,1,8,90000000,12,1,250,3,4000,77 accept-queue=5 spare-capacity=9");
		assertThat(view).isNotNull();
		assertThat(view.workers()).containsExactly(
				new ProcessView.Worker(3, 101, "ready", 5000, 800, 2, 1, 8, 90_000_000, 12, 1, 0.25, 3, 4000));
	}

	@Test
	void theWholeServersSaturationIsTheMeanOfItsReadyWorkers() {
		ProcessView view = new ProcessView(42, 3, 3, 0, Map.of(),
				List.of(worker(1, "ready", 1.0), worker(2, "ready", 0.0), worker(3, "booting", 0.0)));
		assertThat(view.saturation()).isEqualTo(0.5);
		assertThat(view.readyWorkers()).isEqualTo(2);
		ProcessView noneReady = new ProcessView(42, 1, 1, 0, Map.of(), List.of(worker(1, "stopping", 0.0)));
		assertThat(noneReady.saturation()).as("nothing ready is full").isEqualTo(1.0);
	}

	private static ProcessView.Worker worker(int id, String state, double saturation) {
		return new ProcessView.Worker(id, 100 + id, state, 1000, 10, 1, 1, 8, 80_000_000, 3, 2, saturation, 1, 900);
	}

}
