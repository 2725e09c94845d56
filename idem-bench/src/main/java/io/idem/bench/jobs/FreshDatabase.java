package io.idem.bench.jobs;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.idem.testkit.servers.PostgresServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A new, empty database on the shared PostgreSQL for one contender's run, with a HikariCP pool on
 * it; {@link #close()} closes the pool and drops the database. A whole database rather than a
 * schema because JobRunr and db-scheduler expect their tables in the connection's default schema.
 */
final class FreshDatabase implements AutoCloseable {

  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private final PostgresServer server;
  private final String name;
  private final HikariDataSource pool;

  private FreshDatabase(PostgresServer server, String name, HikariDataSource pool) {
    this.server = server;
    this.name = name;
    this.pool = pool;
  }

  /**
   * Creates database {@code bench_jobs_<label>_<pid>_<n>} and a pool of {@code poolSize}
   * connections on it (all opened at once, auto-commit on).
   *
   * @param rewriteBatchedInserts pgjdbc's {@code reWriteBatchedInserts} (multi-row inserts for JDBC
   *     batches), for every contender alike
   */
  static FreshDatabase create(
      PostgresServer server, String label, int poolSize, boolean rewriteBatchedInserts)
      throws SQLException {
    String name =
        "bench_jobs_"
            + label.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "_")
            + "_"
            + ProcessHandle.current().pid()
            + "_"
            + SEQUENCE.incrementAndGet();
    admin(server, "CREATE DATABASE " + name);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(urlOf(server.jdbcUrl(), name));
    config.setUsername(server.user());
    config.setPassword(server.password());
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(poolSize);
    config.setPoolName(name);
    config.setAutoCommit(true);
    if (rewriteBatchedInserts) {
      config.addDataSourceProperty("reWriteBatchedInserts", "true");
    }
    try {
      return new FreshDatabase(server, name, new HikariDataSource(config));
    } catch (RuntimeException e) {
      admin(server, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      throw e;
    }
  }

  /** {@code jdbcUrl} with its database replaced by {@code database} (query parameters kept). */
  static String urlOf(String jdbcUrl, String database) {
    String prefix = "jdbc:postgresql://";
    if (!jdbcUrl.startsWith(prefix)) {
      throw new IllegalArgumentException("not a PostgreSQL JDBC URL: " + jdbcUrl);
    }
    int query = jdbcUrl.indexOf('?');
    String base = query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
    String params = query < 0 ? "" : jdbcUrl.substring(query);
    int slash = base.indexOf('/', prefix.length());
    String hostPort = slash < 0 ? base : base.substring(0, slash);
    return hostPort + "/" + database + params;
  }

  private static void admin(PostgresServer server, String sql) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password());
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  String name() {
    return name;
  }

  HikariDataSource pool() {
    return pool;
  }

  @Override
  public void close() throws SQLException {
    pool.close();
    admin(server, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }
}
