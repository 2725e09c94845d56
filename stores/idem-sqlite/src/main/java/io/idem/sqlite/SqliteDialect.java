package io.idem.sqlite;

import io.idem.jdbc.Dialect;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** SQLite: {@code BEGIN IMMEDIATE} takes the file's write lock. */
final class SqliteDialect implements Dialect {

  static final SqliteDialect INSTANCE = new SqliteDialect();

  private SqliteDialect() {}

  @Override
  public String name() {
    return "sqlite";
  }

  @Override
  public String schemaLocation() {
    return "io/idem/sqlite/schema";
  }

  @Override
  public void beginExclusive(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
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
