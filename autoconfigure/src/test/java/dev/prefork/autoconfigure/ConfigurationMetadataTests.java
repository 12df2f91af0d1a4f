package dev.prefork.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.io.ClassPathResource;

import dev.prefork.server.ServerSettings;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration metadata that IDEs read lists every {@code prefork.*} property with a
 * description written the way Boot writes its own (not starting with "The"), and with its
 * default where the default is a constant: the engine's own, so that the two cannot drift apart.
 * The README's property table lists exactly these properties.
 */
class ConfigurationMetadataTests {

	private static final List<String> PROPERTIES = List.of("prefork.enabled", "prefork.workers", "prefork.threads",
			"prefork.queue-capacity", "prefork.max-in-flight", "prefork.backlog", "prefork.io-threads",
			"prefork.timeout",
			"prefork.request-timeout", "prefork.graceful-timeout", "prefork.max-requests",
			"prefork.max-requests-jitter", "prefork.max-worker-lifetime", "prefork.keepalive",
			"prefork.header-timeout", "prefork.limit-request-line", "prefork.limit-request-fields",
			"prefork.limit-request-field-size", "prefork.retry-after", "prefork.management-threads",
			"prefork.exceptions.capacity", "prefork.access-log.enabled", "prefork.access-log.format");

	private static final Path README = Path.of("..", "README.md");

	private static Map<String, JsonNode> metadata;

	@BeforeAll
	static void readMetadata() throws IOException {
		try (InputStream input = new ClassPathResource("META-INF/spring-configuration-metadata.json").getInputStream()) {
			JsonNode root = JsonMapper.shared().readTree(input);
			Map<String, JsonNode> byName = new LinkedHashMap<>();
			for (JsonNode property : root.path("properties").values()) {
				byName.put(property.path("name").asString(), property);
			}
			metadata = byName;
		}
	}

	@Test
	void everyPreforkPropertyIsListed() {
		assertThat(metadata).containsKeys(PROPERTIES.toArray(String[]::new));
	}

	@Test
	void everyPreforkPropertyHasADescriptionThatDoesNotStartWithThe() {
		assertThat(metadata.keySet()).filteredOn((name) -> name.startsWith("prefork.")).allSatisfy((name) -> {
			String description = metadata.get(name).path("description").asString("");
			assertThat(description).as("description of %s", name).isNotBlank().doesNotMatch("(?is)^the\\b.*");
		});
	}

	@Test
	void propertiesWithConstantDefaultsListTheEnginesDefaults() {
		assertThat(defaultOf("prefork.enabled").asBoolean()).isTrue();
		assertThat(defaultOf("prefork.threads").asInt()).isEqualTo(ServerSettings.DEFAULT_THREADS);
		assertThat(defaultOf("prefork.queue-capacity").asInt()).isEqualTo(ServerSettings.DEFAULT_QUEUE_CAPACITY);
		assertThat(defaultOf("prefork.backlog").asInt()).isEqualTo(ServerSettings.DEFAULT_BACKLOG);
		assertThat(defaultOf("prefork.max-requests").asLong()).isZero();
		assertThat(defaultOf("prefork.max-requests-jitter").asLong()).isZero();
		assertThat(defaultOf("prefork.limit-request-line").asInt()).isEqualTo(ServerSettings.DEFAULT_LIMIT_REQUEST_LINE);
		assertThat(defaultOf("prefork.limit-request-fields").asInt())
			.isEqualTo(ServerSettings.DEFAULT_LIMIT_REQUEST_FIELDS);
		assertThat(defaultOf("prefork.limit-request-field-size").asInt())
			.isEqualTo(ServerSettings.DEFAULT_LIMIT_REQUEST_FIELD_SIZE);
		assertThat(defaultOf("prefork.exceptions.capacity").asInt()).isEqualTo(ServerSettings.DEFAULT_EXCEPTION_CAPACITY);
		assertThat(defaultOf("prefork.management-threads").asInt()).isEqualTo(ServerSettings.DEFAULT_MANAGEMENT_THREADS);
		assertThat(durationDefaultOf("prefork.timeout")).isEqualTo(ServerSettings.DEFAULT_TIMEOUT);
		assertThat(durationDefaultOf("prefork.graceful-timeout")).isEqualTo(ServerSettings.DEFAULT_GRACEFUL_TIMEOUT);
		assertThat(durationDefaultOf("prefork.keepalive")).isEqualTo(ServerSettings.DEFAULT_KEEPALIVE);
		assertThat(durationDefaultOf("prefork.header-timeout")).isEqualTo(ServerSettings.DEFAULT_HEADER_TIMEOUT);
		assertThat(durationDefaultOf("prefork.stream-idle-timeout"))
			.isEqualTo(ServerSettings.DEFAULT_STREAM_IDLE_TIMEOUT);
		assertThat(durationDefaultOf("prefork.retry-after")).isEqualTo(ServerSettings.DEFAULT_RETRY_AFTER);
		assertThat(defaultOf("prefork.access-log.enabled").asBoolean()).isFalse();
		assertThat(defaultOf("prefork.access-log.format").asString())
			.isEqualTo(ServerSettings.DEFAULT_ACCESS_LOG_FORMAT);
	}

	@Test
	void everyPreforkPropertyIsInTheReadmeTableAndEveryRowIsAProperty() throws IOException {
		Set<String> documented = new TreeSet<>();
		Matcher row = Pattern.compile("(?m)^\\| `(prefork\\.[a-z.-]+)` \\|").matcher(Files.readString(README));
		while (row.find()) {
			documented.add(row.group(1));
		}
		Set<String> properties = new TreeSet<>(metadata.keySet());
		properties.removeIf((name) -> !name.startsWith("prefork."));
		assertThat(documented).isEqualTo(properties);
	}

	@Test
	void propertiesWithoutAConstantDefaultListNone() {
		// workers and io-threads default to the processor count of the machine that runs the
		// application, not of the one that built it; the other two are unset unless configured.
		assertThat(List.of("prefork.workers", "prefork.io-threads", "prefork.request-timeout",
				"prefork.max-worker-lifetime", "prefork.max-in-flight"))
			.allSatisfy((name) -> assertThat(metadata.get(name).has("defaultValue")).as("%s has a default", name)
				.isFalse());
	}

	private static JsonNode defaultOf(String name) {
		JsonNode value = metadata.get(name).path("defaultValue");
		assertThat(value.isMissingNode()).as("%s has a default", name).isFalse();
		return value;
	}

	private static Duration durationDefaultOf(String name) {
		JsonNode value = defaultOf(name);
		assertThat(value.isString()).as("%s default is a duration string", name).isTrue();
		return DurationStyle.detectAndParse(value.asString());
	}

}
