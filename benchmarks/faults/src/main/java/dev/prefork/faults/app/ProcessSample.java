package dev.prefork.faults.app;

/**
 * What a process uses at one moment.
 *
 * @param seconds seconds since the series started
 * @param rssKb resident set size
 * @param threads threads of the process (JVM-internal ones included)
 * @param fds open file descriptors (sockets included)
 * @param heapAfterGcKb heap in use right after a full GC, or -1 when not measured
 */
public record ProcessSample(double seconds, long rssKb, long threads, long fds, long heapAfterGcKb) {
}
