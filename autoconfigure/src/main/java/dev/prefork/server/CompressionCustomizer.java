// Mirrors Spring Boot 4.1.2's CompressionCustomizer (org.springframework.boot.reactor.netty,
// package-private there); keep in step with it.
package dev.prefork.server;

import java.util.Arrays;
import java.util.List;
import java.util.function.BiPredicate;

import io.netty.handler.codec.http.HttpHeaderNames;
import org.jspecify.annotations.Nullable;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

import org.springframework.boot.web.server.Compression;
import org.springframework.util.InvalidMimeTypeException;
import org.springframework.util.MimeType;
import org.springframework.util.MimeTypeUtils;
import org.springframework.util.ObjectUtils;
import org.springframework.util.StringUtils;

/**
 * Applies {@code server.compression.*} to the reactor-netty server as Boot's own Netty server does:
 * a response is compressed when it is at least {@code min-response-size} long (by its
 * Content-Length; one without is compressed), its Content-Type is one of {@code mime-types} and
 * {@code additional-mime-types}, and the request's User-Agent is none of
 * {@code excluded-user-agents} (whole value, any case).
 */
final class CompressionCustomizer {

	private static final BiPredicate<HttpServerRequest, HttpServerResponse> ALWAYS = (request, response) -> true;

	private final Compression compression;

	CompressionCustomizer(Compression compression) {
		this.compression = compression;
	}

	HttpServer apply(HttpServer server) {
		if (!this.compression.getMinResponseSize().isNegative()) {
			server = server.compress((int) this.compression.getMinResponseSize().toBytes());
		}
		return server.compress(contentTypeIsOneOf(this.compression.getAllMimeTypes())
			.and(userAgentIsNoneOf(this.compression.getExcludedUserAgents())));
	}

	private static BiPredicate<HttpServerRequest, HttpServerResponse> contentTypeIsOneOf(String[] mimeTypeValues) {
		if (ObjectUtils.isEmpty(mimeTypeValues)) {
			return ALWAYS;
		}
		List<MimeType> mimeTypes = Arrays.stream(mimeTypeValues).map(MimeTypeUtils::parseMimeType).toList();
		return (request, response) -> {
			String contentType = response.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
			if (!StringUtils.hasLength(contentType)) {
				return false;
			}
			try {
				MimeType responseType = MimeTypeUtils.parseMimeType(contentType);
				return mimeTypes.stream().anyMatch((candidate) -> candidate.isCompatibleWith(responseType));
			}
			catch (InvalidMimeTypeException ex) {
				// The application's Content-Type does not parse: send the body as it is. Thrown
				// from here, the exception fails the response after its head has gone out, and the
				// client gets a 200 with an empty body.
				return false;
			}
		};
	}

	private static BiPredicate<HttpServerRequest, HttpServerResponse> userAgentIsNoneOf(
			String @Nullable [] excludedUserAgents) {
		if (ObjectUtils.isEmpty(excludedUserAgents)) {
			return ALWAYS;
		}
		return (request, response) -> Arrays.stream(excludedUserAgents)
			.noneMatch((agent) -> request.requestHeaders().contains(HttpHeaderNames.USER_AGENT, agent, true));
	}

}
