package io.idem.testkit.servers;

import java.net.URI;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * The servers of this test JVM, started on first use and stopped when the JVM exits (their folders
 * under the temp folder deleted; those of earlier JVMs that were killed are swept when a server
 * starts).
 *
 * <ul>
 *   <li>{@link #postgres()}: the server at {@code IDEM_TEST_PG_URL} (a JDBC URL; user and password
 *       from {@code IDEM_TEST_PG_USER} / {@code IDEM_TEST_PG_PASSWORD}, default postgres and
 *       empty), else a managed one from the Maven Central binaries.
 *   <li>{@link #redis()}: the server at {@code IDEM_TEST_REDIS_URL} ({@code redis://host:port}),
 *       else a managed one.
 * </ul>
 *
 * Fault tests that stop servers call {@link #requireManaged} first: against an external server they
 * are skipped with a message saying why.
 */
public final class TestServers {

  private static @Nullable PostgresServer postgres;
  private static @Nullable RedisServer redis;

  private TestServers() {}

  /** The shared PostgreSQL of this JVM. */
  public static synchronized PostgresServer postgres() {
    if (postgres == null) {
      String url = System.getenv("IDEM_TEST_PG_URL");
      if (url != null && !url.isBlank()) {
        postgres =
            PostgresServer.external(
                url, env("IDEM_TEST_PG_USER", "postgres"), env("IDEM_TEST_PG_PASSWORD", ""));
      } else {
        postgres = PostgresServer.startManaged();
      }
    }
    return postgres;
  }

  /** The shared Redis of this JVM. */
  public static synchronized RedisServer redis() {
    if (redis == null) {
      String url = System.getenv("IDEM_TEST_REDIS_URL");
      if (url != null && !url.isBlank()) {
        URI.create(url); // fail early on a malformed URL
        redis = RedisServer.external(url);
      } else {
        redis = RedisServer.startManaged();
      }
    }
    return redis;
  }

  /** Skips the calling test unless this JVM runs {@code server} itself (it must stop it). */
  public static void requireManaged(Object server) {
    boolean managed =
        server instanceof PostgresServer p
            ? p.isManaged()
            : server instanceof RedisServer r && r.isManaged();
    Assumptions.assumeTrue(
        managed,
        () ->
            "skipped: this test stops and restarts "
                + server
                + ", which the tests do not run themselves (IDEM_TEST_PG_URL / IDEM_TEST_REDIS_URL"
                + " is set)");
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null ? fallback : v;
  }
}
