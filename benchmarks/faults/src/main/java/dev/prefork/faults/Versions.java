package dev.prefork.faults;

/** What ran: JVM, OS and machine, for the results file. */
final class Versions {

	private Versions() {
	}

	static String describe() {
		return String.format("Java %s (%s), %s %s, %d CPUs", System.getProperty("java.version"),
				System.getProperty("java.vm.name"), System.getProperty("os.name"), System.getProperty("os.version"),
				Runtime.getRuntime().availableProcessors());
	}

}
