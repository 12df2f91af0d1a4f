package dev.prefork.actuate.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import reactor.core.publisher.Mono;

import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicate;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The dashboard's three files, read once from the classpath ({@code dev/prefork/actuate/dashboard/}),
 * and the routes that serve them beside the {@code prefork} endpoint: the page at
 * {@code {endpoint}/dashboard}, its script and stylesheet below it. Only {@code GET} and
 * {@code HEAD} are answered; any other method on these paths gets {@code 405}. The files carry an
 * {@code ETag} and {@code Cache-Control: no-cache}, so a browser revalidates them (a {@code 304}
 * once they are unchanged) and never keeps an old script after an upgrade.
 */
public final class PreforkDashboard {

	/** Path of the page below the endpoint's path. */
	public static final String PATH = "/dashboard";

	// The page loads only its own two files and fetches only the endpoint, on the same origin.
	private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; object-src 'none'; base-uri 'none'; "
			+ "form-action 'none'";

	private final List<Asset> assets;

	public PreforkDashboard() {
		this.assets = List.of(Asset.load("", "dashboard.html", "html"),
				Asset.load("/dashboard.js", "dashboard.js", "javascript"),
				Asset.load("/dashboard.css", "dashboard.css", "css"));
	}

	/**
	 * Routes that serve the dashboard below the given endpoint path.
	 * @param endpointPath the path of the {@code prefork} endpoint within the application, for
	 * example {@code /actuator/prefork}
	 * @return the routes
	 */
	public RouterFunction<ServerResponse> routes(String endpointPath) {
		RouterFunctions.Builder routes = RouterFunctions.route();
		for (Asset asset : this.assets) {
			routes.route(exactPath(endpointPath + PATH + asset.subPath()), asset::serve);
		}
		return routes.build();
	}

	// Exact, not a pattern: the base path is the user's and may hold characters patterns treat specially.
	private static RequestPredicate exactPath(String path) {
		return (request) -> request.requestPath().pathWithinApplication().value().equals(path);
	}

	private record Asset(String subPath, byte[] content, MediaType contentType, String etag) {

		static Asset load(String subPath, String resource, String textSubtype) {
			try (InputStream input = PreforkDashboard.class.getResourceAsStream(resource)) {
				if (input == null) {
					throw new IllegalStateException("Dashboard resource " + resource + " is missing from the classpath");
				}
				byte[] content = input.readAllBytes();
				return new Asset(subPath, content, new MediaType("text", textSubtype, StandardCharsets.UTF_8),
						"\"" + sha256(content).substring(0, 16) + "\"");
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Cannot read dashboard resource " + resource, ex);
			}
		}

		Mono<ServerResponse> serve(ServerRequest request) {
			HttpMethod method = request.method();
			if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
				return ServerResponse.status(HttpStatus.METHOD_NOT_ALLOWED).header(HttpHeaders.ALLOW, "GET, HEAD").build();
			}
			return request.checkNotModified(this.etag).switchIfEmpty(Mono.defer(this::ok));
		}

		private Mono<ServerResponse> ok() {
			return ServerResponse.ok()
				.contentType(this.contentType)
				.cacheControl(CacheControl.noCache())
				.eTag(this.etag)
				.header("X-Content-Type-Options", "nosniff")
				.header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
				.bodyValue(this.content);
		}

		private static String sha256(byte[] content) {
			try {
				return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
			}
			catch (NoSuchAlgorithmException ex) {
				throw new IllegalStateException("SHA-256 is missing from this JVM", ex);
			}
		}

	}

}
