package dev.prefork.faults.load;

import java.nio.charset.StandardCharsets;

/**
 * One kind of request the load sends, and the status it must get when nothing is wrong.
 *
 * @param name how reports name it
 * @param method the method
 * @param target the request target (path and query)
 * @param body the body, or {@code null}
 * @param expectedStatus the status of a correct answer
 */
public record RequestSpec(String name, String method, String target, byte[] body, int expectedStatus) {

	public static final RequestSpec HELLO = get("/hello", 200);

	public static final RequestSpec WORK_10MS = get("/work?ms=10", 200);

	public static RequestSpec get(String target, int expectedStatus) {
		return new RequestSpec(target, "GET", target, null, expectedStatus);
	}

	public static RequestSpec post(String target, String body, int expectedStatus) {
		return new RequestSpec("POST " + target, "POST", target, body.getBytes(StandardCharsets.UTF_8), expectedStatus);
	}

}
