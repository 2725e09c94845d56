package io.idem.postgres;

import io.idem.StoreUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.postgresql.ds.common.BaseDataSource;

/**
 * How this module reaches PostgreSQL: one connection from the user's {@link DataSource} per step,
 * used in auto-commit mode (each statement is its own transaction, so nothing is ever half written)
 * and given back at once; every {@link SQLException} becomes a {@link StoreUnavailableException}
 * naming the server ({@code host:port/database}, learnt from the first connection), the schema and
 * the operation. Thread-safe.
 */
final class PostgresDatabase {

  /** SQLSTATEs of a statement that did nothing and may simply run again. */
  private static final String SERIALIZATION_FAILURE = "40001";

  private static final String DEADLOCK_DETECTED = "40P01";
  private static final int MAX_SERIALIZATION_RETRIES = 5;

  private final DataSource dataSource;
  private final String schema;
  private volatile @Nullable String server;
  private volatile boolean serverFromConnection;

  /**
   * The isolation level in which the pool hands out connections, learnt from the first connection
   * (pgjdbc asks the server for it with a query on every {@link Connection#getTransactionIsolation}
   * call, a round trip per step otherwise); -1 until then. The store trusts that the pool gives
   * every connection back in that level, as HikariCP does (it resets a level changed by a
   * borrower).
   */
  private volatile int poolIsolation = -1;

  PostgresDatabase(DataSource dataSource, String schema) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.schema = schema;
    this.server = serverOf(dataSource);
  }

  /** Work on a connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  String schema() {
    return schema;
  }

  /**
   * Runs {@code work} on a connection of the pool in auto-commit mode (set for the step when the
   * pool hands out connections without it, and restored), retrying it when PostgreSQL reports a
   * serialization failure or a deadlock (the statement did nothing then).
   *
   * @param what the operation, for messages: "claim of key X"
   */
  <T> T run(String what, Work<T> work) {
    return run(what, "", false, work);
  }

  /**
   * {@link #run(String, Work)} for a step on one subject, whose message ({@code action + subject}:
   * "claim of key " + "X") is only built when the step fails: the hot paths build no string.
   */
  <T> T run(String action, String subject, Work<T> work) {
    return run(action, subject, false, work);
  }

  /**
   * {@link #run}, with the connection in READ COMMITTED for the step (set when the pool hands out
   * connections in another isolation level, and restored): each statement then sees the rows
   * committed before it started and waits for, rather than fails on, rows changed meanwhile.
   */
  <T> T runReadCommitted(String what, Work<T> work) {
    return run(what, "", true, work);
  }

  private <T> T run(String action, String subject, boolean readCommitted, Work<T> work) {
    Connection connection = null;
    try {
      connection = dataSource.getConnection();
      if (!serverFromConnection) {
        learnServer(connection);
      }
      boolean autoCommit = connection.getAutoCommit();
      int isolation = readCommitted ? isolationOf(connection) : Connection.TRANSACTION_NONE;
      boolean setIsolation = readCommitted && isolation != Connection.TRANSACTION_READ_COMMITTED;
      if (!autoCommit) {
        connection.setAutoCommit(true);
      }
      if (setIsolation) {
        connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
      }
      try {
        for (int attempt = 1; ; attempt++) {
          try {
            return work.run(connection);
          } catch (SQLException e) {
            if (attempt >= MAX_SERIALIZATION_RETRIES || !isRetryable(e)) {
              throw e;
            }
          }
        }
      } finally {
        if (setIsolation) {
          restoreIsolation(connection, isolation);
        }
        if (!autoCommit) {
          restoreAutoCommit(connection);
        }
      }
    } catch (SQLException e) {
      throw unavailable(subject.isEmpty() ? action : action + subject, e);
    } finally {
      closeQuietly(connection);
    }
  }

  /** The level of a connection just taken from the pool: the pool's level, asked for once. */
  private int isolationOf(Connection connection) throws SQLException {
    int known = poolIsolation;
    if (known < 0) {
      known = connection.getTransactionIsolation();
      poolIsolation = known;
    }
    return known;
  }

  private static void restoreIsolation(Connection connection, int isolation) {
    try {
      connection.setTransactionIsolation(isolation);
    } catch (SQLException e) {
      // the connection is broken; the pool finds out when it is given back
    }
  }

  /**
   * Runs {@code work} in one READ COMMITTED transaction on a connection of the pool (isolation and
   * auto-commit are set for the step and restored): committed when {@code work} returns, rolled
   * back when it throws, and run again from the start when PostgreSQL reports a serialization
   * failure or a deadlock. {@code work} may roll back itself and go on: the next statement starts a
   * new transaction.
   *
   * @param what the operation, for messages: "enqueue of 10 jobs"
   */
  <T> T transaction(String what, Work<T> work) {
    Connection connection = null;
    try {
      connection = dataSource.getConnection();
      if (!serverFromConnection) {
        learnServer(connection);
      }
      boolean autoCommit = connection.getAutoCommit();
      int isolation = isolationOf(connection);
      try {
        if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
          connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        }
        if (autoCommit) {
          connection.setAutoCommit(false);
        }
        for (int attempt = 1; ; attempt++) {
          try {
            T out = work.run(connection);
            connection.commit();
            return out;
          } catch (SQLException e) {
            rollbackQuietly(connection);
            if (attempt >= MAX_SERIALIZATION_RETRIES || !isRetryable(e)) {
              throw e;
            }
          } catch (RuntimeException | Error e) {
            rollbackQuietly(connection);
            throw e;
          }
        }
      } finally {
        restore(connection, autoCommit, isolation);
      }
    } catch (SQLException e) {
      throw unavailable(what, e);
    } finally {
      closeQuietly(connection);
    }
  }

  private static void rollbackQuietly(Connection connection) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      // the connection is broken: nothing was committed
    }
  }

  private static void restore(Connection connection, boolean autoCommit, int isolation) {
    try {
      if (autoCommit) {
        connection.setAutoCommit(true);
      }
      if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
        connection.setTransactionIsolation(isolation);
      }
    } catch (SQLException e) {
      // the connection is broken; the pool finds out when it is given back
    }
  }

  /**
   * A connection of the pool that the caller keeps and gives back itself ({@link #closeQuietly}):
   * {@link PostgresAdvisoryLockStore} holds one per held lock. The server's address is learnt from
   * it as in {@link #run}.
   *
   * @param what the operation, for messages: "acquisition of lock X"
   */
  Connection connect(String what) {
    try {
      Connection connection = dataSource.getConnection();
      if (!serverFromConnection) {
        learnServer(connection);
      }
      return connection;
    } catch (SQLException e) {
      throw unavailable(what, e);
    }
  }

  static boolean isRetryable(SQLException e) {
    String state = e.getSQLState();
    return SERIALIZATION_FAILURE.equals(state) || DEADLOCK_DETECTED.equals(state);
  }

  private static void restoreAutoCommit(Connection connection) {
    try {
      connection.setAutoCommit(false);
    } catch (SQLException e) {
      // the connection is broken; the pool finds out when it is given back
    }
  }

  static void closeQuietly(@Nullable Connection connection) {
    if (connection == null) {
      return;
    }
    try {
      connection.close();
    } catch (SQLException e) {
      // the step is done (auto-commit): failing to give the connection back changes nothing
    }
  }

  /** Where the records are, for messages: "PostgreSQL 127.0.0.1:5432/app, schema idem". */
  String describe() {
    String where = server;
    return "PostgreSQL " + (where == null ? "via " + dataSource : where) + ", schema " + schema;
  }

  /** A {@link StoreUnavailableException} naming the server, the schema and {@code what}. */
  StoreUnavailableException unavailable(String what, Exception e) {
    return new StoreUnavailableException(describe() + ": " + what + " failed: " + messages(e), e);
  }

  /** The messages of {@code e} and its causes, each once. */
  static String messages(Throwable e) {
    StringBuilder sb = new StringBuilder();
    int depth = 0;
    for (Throwable t = e; t != null && depth < 8; t = t.getCause(), depth++) {
      String m = t.getMessage();
      if (m == null || m.isBlank()) {
        m = t.getClass().getName();
      }
      if (sb.indexOf(m) >= 0) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append(" (caused by: ").append(m).append(')');
      } else {
        sb.append(m);
      }
    }
    return sb.toString();
  }

  private void learnServer(Connection connection) {
    try {
      String url = connection.getMetaData().getURL();
      if (url != null) {
        server = hostPortDatabase(url);
        serverFromConnection = true;
      }
    } catch (SQLException | RuntimeException e) {
      // keep what is known; this is only for messages
    }
  }

  private static @Nullable String serverOf(DataSource dataSource) {
    if (dataSource instanceof BaseDataSource pg) {
      try {
        return hostPortDatabase(pg.getUrl());
      } catch (RuntimeException e) {
        return null;
      }
    }
    return null;
  }

  /**
   * {@code host:port/database} of a PostgreSQL JDBC URL, without its parameters (which may hold a
   * password): {@code jdbc:postgresql://127.0.0.1:5432/app?user=x} gives {@code
   * 127.0.0.1:5432/app}.
   */
  static String hostPortDatabase(String url) {
    String rest = url;
    String prefix = "jdbc:postgresql:";
    if (rest.startsWith(prefix)) {
      rest = rest.substring(prefix.length());
    }
    if (rest.startsWith("//")) {
      rest = rest.substring(2);
    }
    int query = rest.indexOf('?');
    if (query >= 0) {
      rest = rest.substring(0, query);
    }
    return rest;
  }
}
