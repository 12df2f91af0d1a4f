package dev.prefork.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code dashboards/grafana-prefork.json} against what the running sample really publishes at
 * {@code /actuator/prometheus}: every metric its PromQL queries (panels and template variables)
 * is a series the application exposes, by that name, and every label a query selects on or
 * groups by (besides Prometheus's own {@code job} and {@code instance}) is one that series
 * carries, with the value an exact matcher asks for. A renamed meter, tag or tag value fails
 * here, not in an operator's empty panel.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "prefork.workers=2")
class GrafanaDashboardTests {

	private static final Path DASHBOARD = Path.of("..", "dashboards", "grafana-prefork.json");

	/** Labels Prometheus adds when it scrapes: never in the application's own output. */
	private static final Set<String> TARGET_LABELS = Set.of("job", "instance");

	private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan");

	private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");

	private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][\\w:]*)\\s*\\{([^}]*)}");

	private static final Pattern MATCHER = Pattern.compile("(\\w+)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

	private static final Pattern GROUPING = Pattern
		.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");

	private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:$.])([a-zA-Z_:][\\w:]*+)(?!\\s*\\()");

	private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*\\w+\\s*\\)\\s*$");

	private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

	@LocalServerPort
	private int port;

	/** The sample serves its actuator on a port of its own (a random one in tests). */
	@LocalManagementPort
	private int managementPort;

	@Test
	void everyMetricAndLabelTheGrafanaDashboardQueriesIsPublishedByTheApplication() throws Exception {
		for (String path : List.of("/hello", "/boom", "/work?ms=5")) {
			get(path);
		}
		Map<String, Map<String, Set<String>>> published = published(get("/actuator/prometheus"));
		List<String> queries = queries(new ObjectMapper().readTree(Files.readString(DASHBOARD)));
		assertThat(queries).as("PromQL queries in %s", DASHBOARD).hasSizeGreaterThan(10);

		Set<String> queried = new TreeSet<>();
		List<String> problems = new ArrayList<>();
		for (String query : queries) {
			Set<String> metrics = metrics(query);
			assertThat(metrics).as("metrics in %s", query).isNotEmpty();
			queried.addAll(metrics);
			metrics.stream()
				.filter((metric) -> !published.containsKey(metric))
				.forEach((metric) -> problems.add(metric + " is not published (in " + query + ")"));
			checkSelectors(query, published, problems);
			checkGrouping(query, metrics, published, problems);
		}
		assertThat(queried).contains("prefork_workers", "prefork_requests_total", "executor_active_threads");
		assertThat(problems).isEmpty();
	}

	/** Every panel target's {@code expr}, and each template variable's query (its metric part). */
	private static List<String> queries(JsonNode dashboard) {
		List<String> queries = new ArrayList<>();
		for (JsonNode expr : dashboard.findValues("expr")) {
			queries.add(expr.asString());
		}
		for (JsonNode variable : dashboard.path("templating").path("list")) {
			Matcher labelValues = LABEL_VALUES.matcher(variable.path("definition").asString());
			if (labelValues.matches()) {
				queries.add(labelValues.group(1));
			}
		}
		return queries;
	}

	/** The metric names in a query: identifiers left once strings, selectors and ranges are gone. */
	static Set<String> metrics(String query) {
		String bare = query.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ");
		bare = GROUPING.matcher(STRING.matcher(bare).replaceAll(" ")).replaceAll(" ");
		Set<String> metrics = new TreeSet<>();
		Matcher identifiers = IDENTIFIER.matcher(bare);
		while (identifiers.find()) {
			if (!KEYWORDS.contains(identifiers.group(1).toLowerCase())) {
				metrics.add(identifiers.group(1));
			}
		}
		return metrics;
	}

	private static void checkSelectors(String query, Map<String, Map<String, Set<String>>> published,
			List<String> problems) {
		Matcher selectors = SELECTOR.matcher(query);
		while (selectors.find()) {
			Map<String, Set<String>> labels = published.getOrDefault(selectors.group(1), Map.of());
			Matcher matchers = MATCHER.matcher(selectors.group(2));
			while (matchers.find()) {
				String label = matchers.group(1);
				if (TARGET_LABELS.contains(label)) {
					continue;
				}
				if (!labels.containsKey(label)) {
					problems.add(selectors.group(1) + " has no label " + label + " (in " + query + ")");
				}
				else if (matchers.group(2).equals("=") && !labels.get(label).contains(matchers.group(3))) {
					problems.add(selectors.group(1) + " has no " + label + "=\"" + matchers.group(3) + "\", only "
							+ labels.get(label) + " (in " + query + ")");
				}
			}
		}
	}

	private static void checkGrouping(String query, Set<String> metrics, Map<String, Map<String, Set<String>>> published,
			List<String> problems) {
		Matcher grouping = GROUPING.matcher(STRING.matcher(query).replaceAll(" "));
		while (grouping.find()) {
			for (String label : grouping.group(2).split(",")) {
				String name = label.trim();
				if (!name.isEmpty() && !TARGET_LABELS.contains(name) && metrics.stream()
					.noneMatch((metric) -> published.getOrDefault(metric, Map.of()).containsKey(name))) {
					problems.add("no metric of " + metrics + " has the label " + name + " (in " + query + ")");
				}
			}
		}
	}

	/** Series names in Prometheus's text format, each with its labels and their values. */
	private static Map<String, Map<String, Set<String>>> published(String scrape) {
		Map<String, Map<String, Set<String>>> published = new TreeMap<>();
		Matcher series = Pattern.compile("(?m)^([a-zA-Z_:][\\w:]*)(?:\\{([^}]*)})? ").matcher(scrape);
		while (series.find()) {
			Map<String, Set<String>> labels = published.computeIfAbsent(series.group(1), (name) -> new TreeMap<>());
			if (series.group(2) != null) {
				Matcher label = MATCHER.matcher(series.group(2));
				while (label.find()) {
					labels.computeIfAbsent(label.group(1), (name) -> new TreeSet<>()).add(label.group(3));
				}
			}
		}
		return published;
	}

	private String get(String path) throws Exception {
		HttpResponse<String> response = this.client.send(
				HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
						+ (path.startsWith("/actuator") ? this.managementPort : this.port) + path)).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as("GET %s", path).isIn(200, 500);
		return response.body();
	}

}
