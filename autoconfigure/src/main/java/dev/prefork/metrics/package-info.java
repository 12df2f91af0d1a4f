/**
 * Micrometer meters of a running Prefork server, bound and removed with it; no auto-configuration.
 */
package dev.prefork.metrics;
