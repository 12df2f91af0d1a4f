package dev.prefork.sample;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample's application.yml shows every {@code prefork.*} property (those unset by default as
 * comments), so that a user finds each knob there; a property added without its line fails here.
 */
class SampleConfigurationFileTests {

	/** {@code key:} at some indentation, possibly commented out as {@code # key:}. */
	private static final Pattern KEY = Pattern.compile("^( *)(?:# )?([a-z][a-z0-9-]*):");

	private static final Pattern PROPERTY = Pattern.compile("\"name\"\\s*:\\s*\"(prefork\\.[a-z0-9.-]+)\"");

	@Test
	void everyPreforkPropertyHasItsLineInApplicationYml() throws IOException {
		Set<String> documented = keysOf(read(getClass().getClassLoader().getResource("application.yml")));
		Set<String> properties = new TreeSet<>();
		for (URL metadata : Collections.list(
				getClass().getClassLoader().getResources("META-INF/spring-configuration-metadata.json"))) {
			Matcher matcher = PROPERTY.matcher(read(metadata));
			while (matcher.find()) {
				properties.add(matcher.group(1));
			}
		}
		assertThat(properties).contains("prefork.threads", "prefork.max-in-flight");
		assertThat(documented).containsAll(properties);
		assertThat(documented).contains("spring.threads.virtual.enabled");
	}

	/** The dotted path of every key, nested by indentation. */
	private static Set<String> keysOf(String yaml) {
		Set<String> keys = new TreeSet<>();
		List<String> path = new ArrayList<>();
		List<Integer> indents = new ArrayList<>();
		for (String line : yaml.split("\n")) {
			Matcher matcher = KEY.matcher(line);
			if (!matcher.find()) {
				continue;
			}
			int indent = matcher.group(1).length();
			while (!indents.isEmpty() && indents.get(indents.size() - 1) >= indent) {
				indents.remove(indents.size() - 1);
				path.remove(path.size() - 1);
			}
			indents.add(indent);
			path.add(matcher.group(2));
			keys.add(String.join(".", path));
		}
		return keys;
	}

	private static String read(URL resource) throws IOException {
		try (InputStream in = resource.openStream()) {
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
	}

}
