package io.idem.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What differs between the SQL databases Idem runs on, kept small: where the schema scripts are,
 * and how a schema migration takes the database's write lock so that two processes starting at once
 * migrate one after the other.
 */
public interface Dialect {

  /** A short name for messages: "sqlite", "postgresql". */
  String name();

  /**
   * The classpath folder of the versioned schema scripts; it holds a file {@code migrations.list}
   * naming the scripts ({@code V001__what.sql}, ...) in order.
   */
  String schemaLocation();

  /**
   * Opens a transaction on {@code connection} that holds the database's write lock (SQLite: {@code
   * BEGIN IMMEDIATE}; PostgreSQL: a transaction-scoped advisory lock) and returns when it is held.
   */
  void beginExclusive(Connection connection) throws SQLException;

  /** Commits the transaction opened by {@link #beginExclusive}. */
  void commit(Connection connection) throws SQLException;

  /** Rolls back the transaction opened by {@link #beginExclusive}, quietly. */
  void rollback(Connection connection);
}
