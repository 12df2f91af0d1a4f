/**
 * The live dashboard: a static page, served beside the {@code prefork} actuator endpoint, that
 * polls the endpoint and draws it.
 */
@NullMarked
package dev.prefork.actuate.dashboard;

import org.jspecify.annotations.NullMarked;
