package dev.prefork.integration;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

/**
 * The same as {@link ContainmentTests} with a stateless security context (no session behind it).
 */
@SpringBootTest(classes = SecuredApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "prefork.workers=1", "prefork.threads=2", "prefork.queue-capacity=0",
				"test.security=stateless" })
class StatelessContainmentTests extends ContainmentTests {

}
