/**
 * Auto-configuration that binds Prefork's meters to the application's meter registry.
 */
package dev.prefork.autoconfigure.metrics;
