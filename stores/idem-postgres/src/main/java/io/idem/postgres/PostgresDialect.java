package io.idem.postgres;

import io.idem.jdbc.Dialect;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * PostgreSQL: a migration holds a transaction-scoped advisory lock ({@code pg_advisory_xact_lock}
 * on {@link #MIGRATION_LOCK}), so two processes applying the schema at once do it one after the
 * other; the lock is released by the transaction's end, also when the session dies.
 */
final class PostgresDialect implements Dialect {

  /**
   * The advisory lock key of schema migrations: the ASCII of "IDEMSCHM". Every Idem process
   * migrating any schema of a database takes this one lock.
   */
  static final long MIGRATION_LOCK = 0x4944454D5343484DL;

  static final PostgresDialect INSTANCE = new PostgresDialect();

  private PostgresDialect() {}

  @Override
  public String name() {
    return "postgresql";
  }

  @Override
  public String schemaLocation() {
    return "io/idem/postgres/schema";
  }

  @Override
  public void beginExclusive(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("BEGIN");
      s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
    } catch (SQLException | RuntimeException e) {
      rollback(connection);
      throw e;
    }
  }

  @Override
  public void commit(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("COMMIT");
    }
  }

  @Override
  public void rollback(Connection connection) {
    try (Statement s = connection.createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException e) {
      // no transaction was open, or the connection is gone: nothing to undo
    }
  }
}
