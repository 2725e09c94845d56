package io.idem.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.idem.testkit.servers.PostgresServer;
import io.idem.testkit.servers.TestServers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/** Pools and queries on the shared test PostgreSQL. */
final class PostgresTests {

  private static final AtomicInteger NAMES = new AtomicInteger();

  private PostgresTests() {}

  static PostgresServer server() {
    return TestServers.postgres();
  }

  /** A HikariCP pool on the test server. */
  static HikariDataSource pool(int maxSize, Duration connectionTimeout) {
    return pool(maxSize, connectionTimeout, server().user(), server().password());
  }

  /** A HikariCP pool on the test server whose connections start in REPEATABLE READ. */
  static HikariDataSource repeatableReadPool(int maxSize) {
    HikariConfig config =
        config(maxSize, Duration.ofSeconds(10), server().user(), server().password());
    config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
    return new HikariDataSource(config);
  }

  /** A HikariCP pool on the test server, logging in as {@code user}. */
  static HikariDataSource pool(
      int maxSize, Duration connectionTimeout, String user, String password) {
    return new HikariDataSource(config(maxSize, connectionTimeout, user, password));
  }

  private static HikariConfig config(
      int maxSize, Duration connectionTimeout, String user, String password) {
    PostgresServer server = server();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(server.jdbcUrl());
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(maxSize);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(connectionTimeout.toMillis());
    config.setValidationTimeout(Math.min(connectionTimeout.toMillis() / 2, 1000));
    config.setPoolName("idem-pg-test-" + NAMES.incrementAndGet());
    return config;
  }

  /** A schema name that does not exist yet. */
  static String newSchemaName(String prefix) {
    return prefix + "_" + ProcessHandle.current().pid() + "_" + NAMES.incrementAndGet();
  }

  /** The first column of the first row of {@code sql}. */
  static long queryLong(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static void execute(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
