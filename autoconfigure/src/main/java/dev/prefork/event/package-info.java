/**
 * Spring application events published when workers boot, retire and exit.
 */
package dev.prefork.event;
