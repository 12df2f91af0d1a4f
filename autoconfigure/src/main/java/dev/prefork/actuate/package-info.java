/**
 * The actuator endpoint ({@code /actuator/prefork}), its read-only descriptors, and the health
 * indicator.
 */
package dev.prefork.actuate;
