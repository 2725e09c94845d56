/**
 * Real servers for store tests, with no Docker: PostgreSQL from the embedded PostgreSQL binaries on
 * Maven Central, Redis from {@code redis-server} on the PATH or the Redis binaries on Maven
 * Central; or the servers named by {@code IDEM_TEST_PG_URL} and {@code IDEM_TEST_REDIS_URL}. Start
 * with {@link io.idem.testkit.servers.TestServers}.
 */
@NullMarked
package io.idem.testkit.servers;

import org.jspecify.annotations.NullMarked;
