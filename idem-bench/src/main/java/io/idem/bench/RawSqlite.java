package io.idem.bench;

import io.idem.PayloadFingerprint;
import io.idem.TtlCategories;
import io.idem.jdbc.SqlStatements;
import io.idem.sqlite.SqliteDatabase;
import io.idem.sqlite.SqliteIdempotencyStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * The raw-JDBC side of the SQLite benchmarks: a second plain connection on the benchmark's file,
 * with the pragmas of {@link SqliteDatabase#open(Path)} (WAL, {@code synchronous=NORMAL}, the
 * default busy timeout, foreign keys on), in auto-commit, statements prepared once, one lock around
 * each use of the connection as {@link SqliteDatabase} has. Thread-safe.
 */
final class RawSqlite implements AutoCloseable {

  /** The INSERT of a claim: the IN_PROGRESS row Idem writes, all 14 columns. */
  static final String INSERT =
      "INSERT INTO idem_records (key, state, fingerprint, token, attempt, lease_until,"
          + " expires_at, retry_after, result_type, result, error_type, error_message,"
          + " created_at, updated_at)"
          + " VALUES (?, 'IN_PROGRESS', ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /** The UPDATE that completes a row, fenced by its token. */
  static final String COMPLETE =
      "UPDATE idem_records SET state = 'COMPLETED', lease_until = NULL, expires_at = ?,"
          + " result_type = ?, result = ?, updated_at = ?"
          + " WHERE key = ? AND state = 'IN_PROGRESS' AND token = ?";

  /** Idem's default lease, which the raw rows copy. */
  static final long LEASE_MS = Duration.ofSeconds(30).toMillis();

  /** The TTL of keys in no category, which the raw rows copy. */
  static final long TTL_MS = TtlCategories.DEFAULT_TTL.toMillis();

  /** The result of {@code () -> "ok"} as the default codec stores it. */
  static final String RESULT_TYPE = "java.lang.String";

  static final String RESULT = "\"ok\"";

  private static final SqlStatements STORE_SQL =
      SqlStatements.load(SqliteIdempotencyStore.class, "io/idem/sqlite/idempotency.sql");

  private final Connection connection;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicLong tokens = new AtomicLong();
  private final PreparedStatement insert;
  private final PreparedStatement complete;
  private final PreparedStatement select;
  private final PreparedStatement tokenNext;
  private final PreparedStatement claimSelect;
  private final PreparedStatement upsert;
  private final PreparedStatement storeComplete;
  private final PreparedStatement begin;
  private final PreparedStatement commit;

  private RawSqlite(Connection connection) throws SQLException {
    this.connection = connection;
    insert = connection.prepareStatement(INSERT);
    complete = connection.prepareStatement(COMPLETE);
    select = connection.prepareStatement(STORE_SQL.get("record.select"));
    tokenNext =
        connection.prepareStatement(
            "UPDATE idem_sequences SET value = value + 1 WHERE name = 'token' RETURNING value");
    claimSelect = connection.prepareStatement(STORE_SQL.get("claim.select"));
    upsert = connection.prepareStatement(STORE_SQL.get("record.upsert"));
    storeComplete = connection.prepareStatement(STORE_SQL.get("record.complete"));
    begin = connection.prepareStatement("BEGIN IMMEDIATE");
    commit = connection.prepareStatement("COMMIT");
  }

  /** A plain connection on {@code file}, which must already have Idem's schema. */
  static RawSqlite open(Path file) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    config.setBusyTimeout((int) SqliteDatabase.DEFAULT_BUSY_TIMEOUT.toMillis());
    config.enforceForeignKeys(true);
    return new RawSqlite(config.createConnection("jdbc:sqlite:" + file.toAbsolutePath()));
  }

  /**
   * The baseline: in auto-commit, INSERT the IN_PROGRESS row of {@code key}, then UPDATE it to
   * COMPLETED with its token. Two statements, two commits.
   *
   * @return whether the UPDATE completed the row
   */
  boolean insertAndComplete(String key) throws SQLException {
    return insertAndComplete(key, false, false);
  }

  /**
   * Diagnostics: {@link #insertAndComplete(String)}, with the INSERT in an explicit {@code BEGIN
   * IMMEDIATE ... COMMIT} when {@code transaction}, and the token taken from the store's token
   * sequence ({@code token.next}, in that transaction) when {@code tokenSequence}.
   */
  boolean insertAndComplete(String key, boolean transaction, boolean tokenSequence)
      throws SQLException {
    long token;
    lock.lock();
    try {
      if (transaction) {
        begin.execute();
      }
      try {
        token = tokenSequence ? nextToken() : tokens.incrementAndGet();
        long now = System.currentTimeMillis();
        insert.setString(1, key);
        insert.setString(2, PayloadFingerprint.NONE);
        insert.setLong(3, token);
        insert.setLong(4, now + LEASE_MS);
        insert.setLong(5, now + Math.max(LEASE_MS, TTL_MS));
        insert.setNull(6, Types.BIGINT);
        insert.setNull(7, Types.VARCHAR);
        insert.setNull(8, Types.VARCHAR);
        insert.setNull(9, Types.VARCHAR);
        insert.setNull(10, Types.VARCHAR);
        insert.setLong(11, now);
        insert.setLong(12, now);
        insert.executeUpdate();
        if (transaction) {
          commit.execute();
        }
      } catch (SQLException | RuntimeException e) {
        if (transaction) {
          rollback();
        }
        throw e;
      }
    } finally {
      lock.unlock();
    }
    lock.lock();
    try {
      long now = System.currentTimeMillis();
      complete.setLong(1, now + TTL_MS);
      complete.setString(2, RESULT_TYPE);
      complete.setString(3, RESULT);
      complete.setLong(4, now);
      complete.setString(5, key);
      complete.setLong(6, token);
      return complete.executeUpdate() == 1;
    } finally {
      lock.unlock();
    }
  }

  private long nextToken() throws SQLException {
    try (ResultSet rs = tokenNext.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("the token sequence is missing");
      }
      return rs.getLong(1);
    }
  }

  private void rollback() throws SQLException {
    try (var s = connection.createStatement()) {
      s.execute("ROLLBACK");
    }
  }

  /**
   * Diagnostics: the statements {@code SqliteIdempotencyStore} runs for a first call, in its order,
   * but prepared once and with no Java around them: {@code BEGIN IMMEDIATE}, {@code claim.select}
   * (the record and the token floor), {@code record.upsert}, {@code COMMIT}; {@code
   * record.complete}.
   *
   * @return whether the completing UPDATE changed the row
   */
  boolean storeStatements(String key) throws SQLException {
    long token;
    lock.lock();
    try {
      long now = System.currentTimeMillis();
      begin.execute();
      try {
        claimSelect.setString(1, key);
        try (ResultSet rs = claimSelect.executeQuery()) {
          rs.next();
          token = rs.getLong(1) + 1;
          for (int c = 2; c <= 15; c++) {
            rs.getObject(c);
          }
        }
        upsert.setString(1, key);
        upsert.setString(2, "IN_PROGRESS");
        upsert.setString(3, PayloadFingerprint.NONE);
        upsert.setLong(4, token);
        upsert.setInt(5, 1);
        upsert.setLong(6, now + LEASE_MS);
        upsert.setLong(7, now + Math.max(LEASE_MS, TTL_MS));
        upsert.setNull(8, Types.BIGINT);
        upsert.setNull(9, Types.VARCHAR);
        upsert.setNull(10, Types.VARCHAR);
        upsert.setNull(11, Types.VARCHAR);
        upsert.setNull(12, Types.VARCHAR);
        upsert.setLong(13, now);
        upsert.setLong(14, now);
        upsert.executeUpdate();
        commit.execute();
      } catch (SQLException | RuntimeException e) {
        rollback();
        throw e;
      }
    } finally {
      lock.unlock();
    }
    lock.lock();
    try {
      long now = System.currentTimeMillis();
      storeComplete.setLong(1, now + TTL_MS);
      storeComplete.setString(2, RESULT_TYPE);
      storeComplete.setString(3, RESULT);
      storeComplete.setLong(4, now);
      storeComplete.setString(5, key);
      storeComplete.setLong(6, token);
      return storeComplete.executeUpdate() == 1;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() throws SQLException {
    lock.lock();
    try {
      for (PreparedStatement ps :
          new PreparedStatement[] {
            insert, complete, select, tokenNext, claimSelect, upsert, storeComplete, begin, commit
          }) {
        ps.close();
      }
      connection.close();
    } finally {
      lock.unlock();
    }
  }
}
