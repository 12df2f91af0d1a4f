/**
 * Spring Boot auto-configuration of Prefork: properties ({@code prefork.*}), the server factory
 * and its customizer, signals, readiness and failure analysis.
 */
package dev.prefork.autoconfigure;
