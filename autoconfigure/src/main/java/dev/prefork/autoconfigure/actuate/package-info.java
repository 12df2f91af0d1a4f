/**
 * Auto-configuration of Prefork's actuator endpoint and health indicator.
 */
package dev.prefork.autoconfigure.actuate;
