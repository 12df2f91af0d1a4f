package dev.prefork.autoconfigure;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.reactor.netty.autoconfigure.NettyReactiveWebServerAutoConfiguration;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;

import dev.prefork.server.PreforkReactiveWebServerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code spring.threads.virtual.enabled} puts the workers on virtual threads where Java has them,
 * and keeps Boot from handing blocking controller methods to its own executor; on Java 17 it is
 * reported, once, as having no effect.
 */
@ExtendWith(OutputCaptureExtension.class)
class VirtualThreadsSettingTests {

	private static final String NO_EFFECT = VirtualThreadsSetting.PROPERTY + "=true has no effect";

	private final ReactiveWebApplicationContextRunner contextRunner = new ReactiveWebApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(PreforkAutoConfiguration.class, NettyReactiveWebServerAutoConfiguration.class));

	@Test
	void withoutThePropertyWorkersRunOnPlatformThreadsAndNothingIsSaid(CapturedOutput output) {
		this.contextRunner.run((context) -> {
			assertThat(virtualThreads(context)).isFalse();
			assertThat(context).doesNotHaveBean(WorkerBlockingExecution.class);
		});
		assertThat(output).doesNotContain(VirtualThreadsSetting.PROPERTY);
	}

	@Test
	@EnabledForJreRange(max = JRE.JAVA_20)
	void beforeJava21ThePropertyIsReportedOnceAsHavingNoEffect(CapturedOutput output) {
		this.contextRunner.withPropertyValues(VirtualThreadsSetting.PROPERTY + "=true").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(virtualThreads(context)).isFalse();
			assertThat(context).doesNotHaveBean(WorkerBlockingExecution.class);
		});
		assertThat(output.getOut().split(NO_EFFECT, -1)).hasSize(2);
		assertThat(output).contains(NO_EFFECT + " on Java " + Runtime.version().feature());
	}

	@Test
	@EnabledForJreRange(min = JRE.JAVA_21)
	void fromJava21ThePropertyPutsWorkersOnVirtualThreadsAndKeepsControllersOnThem(CapturedOutput output) {
		this.contextRunner.withPropertyValues(VirtualThreadsSetting.PROPERTY + "=true").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(virtualThreads(context)).isTrue();
			assertThat(context).hasSingleBean(WorkerBlockingExecution.class);
		});
		assertThat(output).doesNotContain(NO_EFFECT);
	}

	private static boolean virtualThreads(ApplicationContext context) {
		return context.getBean(PreforkReactiveWebServerFactory.class).getSettings().virtualThreads();
	}

}
