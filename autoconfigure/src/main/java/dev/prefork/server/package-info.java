/**
 * The engine: an arbiter that supervises workers with bounded thread pools, the request path from
 * the event loops to the workers, strict HTTP/1.1, and the Boot web-server SPI (factory, server,
 * graceful shutdown). Depends on reactor-netty, Spring Web and the JDK only.
 */
package dev.prefork.server;
