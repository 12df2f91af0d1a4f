package dev.prefork.faults.app;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

import dev.prefork.faults.http.HttpConnection;
import dev.prefork.faults.http.HttpResponse;

/**
 * The sample application's actuator: Prefork's endpoint (read, scale, recycle) on the management
 * port, and the health probes Kubernetes would use, {@code /readyz} and {@code /livez} on the main
 * port (answered by the management lane). Each call uses a connection of its own, so that it never
 * waits behind the load.
 */
public final class Actuator {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private final InetSocketAddress application;

	private final InetSocketAddress management;

	public Actuator(InetSocketAddress application, InetSocketAddress management) {
		this.application = application;
		this.management = management;
	}

	public PreforkStatus prefork() throws IOException {
		HttpResponse response = call("GET", "/actuator/prefork", null);
		requireOk(response, "/actuator/prefork");
		return PreforkStatus.of(Json.parse(response.bodyText()));
	}

	/** The exceptions ring: how many were seen, how many are kept, and how many types are counted. */
	public ExceptionsRing exceptions() throws IOException {
		HttpResponse response = call("GET", "/actuator/prefork/exceptions", null);
		requireOk(response, "/actuator/prefork/exceptions");
		Object json = Json.parse(response.bodyText());
		int kept = (Json.at(json, "recent") instanceof java.util.List<?> recent) ? recent.size() : -1;
		int types = (Json.at(json, "countsByType") instanceof java.util.Map<?, ?> counts) ? counts.size() : -1;
		return new ExceptionsRing(Json.longAt(json, "total"), kept, types);
	}

	/** {@code GET /readyz} on the main port, told apart from a refusal for overload. */
	public Probe readiness() {
		return probe("/readyz");
	}

	public Probe liveness() {
		return probe("/livez");
	}

	/** {@code POST /actuator/prefork {"change": n}} (gunicorn's TTIN/TTOU). */
	public HttpResponse scaleBy(int change) throws IOException {
		return call("POST", "/actuator/prefork", "{\"change\": " + change + "}");
	}

	/** {@code POST /actuator/prefork {"workers": n}}. */
	public HttpResponse scaleTo(int workers) throws IOException {
		return call("POST", "/actuator/prefork", "{\"workers\": " + workers + "}");
	}

	/** {@code POST /actuator/prefork/all} (gunicorn's HUP). */
	public HttpResponse recycleAll() throws IOException {
		return call("POST", "/actuator/prefork/all", null);
	}

	public HttpResponse recycle(int workerId) throws IOException {
		return call("POST", "/actuator/prefork/" + workerId, null);
	}

	private Probe probe(String path) {
		try {
			HttpResponse response = HttpConnection.once(this.application, TIMEOUT, "GET", path, "application/json",
					null);
			Object status = (response.body().length > 0) ? Json.at(Json.parse(response.bodyText()), "status") : null;
			return new Probe(response.status(), (status != null) ? status.toString() : "(empty body)");
		}
		catch (IOException | IllegalArgumentException ex) {
			return new Probe(-1, ex.toString());
		}
	}

	private HttpResponse call(String method, String path, String json) throws IOException {
		byte[] body = (json != null) ? json.getBytes(java.nio.charset.StandardCharsets.UTF_8)
				: ("POST".equals(method) ? new byte[0] : null);
		return HttpConnection.once(this.management, TIMEOUT, method, path, "application/json", body);
	}

	private static void requireOk(HttpResponse response, String path) throws IOException {
		if (response.status() != 200) {
			throw new IOException("GET " + path + " answered " + response.status());
		}
	}

	/**
	 * One health probe's answer.
	 *
	 * @param httpStatus the status, or -1 if the probe got no answer
	 * @param state the health status in the body ({@code UP}, {@code OUT_OF_SERVICE}...), or
	 * {@code "(empty body)"} when the probe itself was refused (a 503 for overload has no body)
	 */
	public record Probe(int httpStatus, String state) {

		public boolean isUp() {
			return this.httpStatus == 200 && "UP".equals(this.state);
		}

		/** The probe request itself was turned away (overload), so it says nothing about health. */
		public boolean wasRefused() {
			return this.httpStatus == 503 && "(empty body)".equals(this.state);
		}

	}

	/**
	 * The exceptions ring, as the endpoint shows it.
	 *
	 * @param total exceptions seen since start
	 * @param kept entries the ring holds now
	 * @param types exception types counted
	 */
	public record ExceptionsRing(long total, int kept, int types) {
	}

}
