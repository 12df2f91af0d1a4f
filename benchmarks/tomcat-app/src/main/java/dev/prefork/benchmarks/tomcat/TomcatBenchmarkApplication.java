package dev.prefork.benchmarks.tomcat;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A minimal Spring MVC application on Tomcat with the sample application's benchmark endpoints,
 * written the way a servlet-stack user would write them: plain blocking controller methods.
 */
@SpringBootApplication
public class TomcatBenchmarkApplication {

	public static void main(String[] args) {
		SpringApplication.run(TomcatBenchmarkApplication.class, args);
	}

}
