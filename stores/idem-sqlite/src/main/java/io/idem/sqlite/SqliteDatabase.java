package io.idem.sqlite;

import io.idem.StoreUnavailableException;
import io.idem.jdbc.SchemaMigrator;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.JobStore;
import io.idem.spi.LockStore;
import io.idem.spi.ProcessedSetStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * One SQLite database file holding Idem's data: the embedded default. Opening it creates the file
 * and its folder when missing, sets WAL mode and a busy timeout, and brings the schema up to date
 * from the versioned scripts in {@code io/idem/sqlite/schema}.
 *
 * <p>It has one store of each kind, all on this file and this database's clock:
 *
 * <ul>
 *   <li>{@link #idempotencyStore()}: idempotency records ({@link SqliteIdempotencyStore}, table
 *       {@code idem_records});
 *   <li>{@link #processedSetStore()}: the processed sets of deduplication trackers ({@link
 *       SqliteProcessedSetStore}, tables {@code idem_set_members} and {@code idem_sets});
 *   <li>{@link #lockStore()}: leased locks with fencing tokens ({@link SqliteLockStore}, table
 *       {@code idem_locks});
 *   <li>{@link #jobStore()}: unique jobs ({@link SqliteJobStore}, tables {@code idem_jobs} and
 *       {@code idem_job_duplicates}).
 * </ul>
 *
 * <pre>{@code
 * try (SqliteDatabase db = SqliteDatabase.open(Path.of("idem-data/idem.db"))) {
 *   Idem idem = Idem.builder(db.idempotencyStore()).build();
 *   LockStore locks = db.lockStore();
 *   ProcessedSetStore sets = db.processedSetStore();
 *   JobStore jobs = db.jobStore();
 * }
 * }</pre>
 *
 * The stores do not own the connection: closing one of them does nothing, closing the database
 * closes them all.
 *
 * <p>All work goes through one connection, one operation at a time (SQLite has one writer anyway);
 * other processes on the same file wait up to the busy timeout for its lock. With {@link
 * Synchronous#NORMAL} (the default) a committed transaction survives the process being killed;
 * choose {@link Synchronous#FULL} to survive power loss too, at the cost of an fsync per commit.
 *
 * <p>Thread-safe.
 */
public final class SqliteDatabase implements AutoCloseable {

  /** How long a statement waits for another process's lock by default: 5 seconds. */
  public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);

  /** SQLite's {@code synchronous} setting: how often commits reach the disk. */
  public enum Synchronous {
    /** Never fsync: fastest; a crash of the machine may corrupt the database. */
    OFF,
    /** fsync at checkpoints only (WAL): commits survive a killed process. The default. */
    NORMAL,
    /** fsync at every commit: commits survive power loss. */
    FULL
  }

  private final Path path;
  private final Clock clock;
  private final Connection connection;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, PreparedStatement> statements = new HashMap<>();
  private final SqliteIdempotencyStore idempotencyStore;
  private final SqliteProcessedSetStore processedSetStore;
  private final SqliteLockStore lockStore;
  private final SqliteJobStore jobStore;
  private volatile boolean closed;

  private SqliteDatabase(Builder b) {
    this.path = b.path.toAbsolutePath();
    this.clock = b.clock;
    try {
      Path parent = path.getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the folder of SQLite database " + path, e);
    }
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.valueOf(b.synchronous.name()));
    config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, b.busyTimeout.toMillis()));
    config.enforceForeignKeys(true);
    try {
      this.connection = config.createConnection("jdbc:sqlite:" + path);
    } catch (SQLException e) {
      throw new StoreUnavailableException(
          "cannot open SQLite database " + path + ": " + e.getMessage(), e);
    }
    try {
      new SchemaMigrator(SqliteDialect.INSTANCE, SqliteDatabase.class, clock).migrate(connection);
    } catch (SQLException | RuntimeException e) {
      closeQuietly();
      throw new StoreUnavailableException(
          "cannot prepare the schema of SQLite database " + path + ": " + e.getMessage(), e);
    }
    this.idempotencyStore = new SqliteIdempotencyStore(this, false);
    this.processedSetStore = new SqliteProcessedSetStore(this, false);
    this.lockStore = new SqliteLockStore(this, false);
    this.jobStore = new SqliteJobStore(this, false);
  }

  /** Opens (creating when missing) the database at {@code path}, with the defaults. */
  public static SqliteDatabase open(Path path) {
    return builder(path).open();
  }

  public static Builder builder(Path path) {
    return new Builder(path);
  }

  /** The file. */
  public Path path() {
    return path;
  }

  /** The clock of this database's stores. */
  public Clock clock() {
    return clock;
  }

  /**
   * The idempotency store in this database. Closing it does nothing: close the database instead.
   */
  public IdempotencyStore idempotencyStore() {
    return idempotencyStore;
  }

  /**
   * The processed-set store in this database (the storage of deduplication trackers). Closing it
   * does nothing: close the database instead.
   */
  public ProcessedSetStore processedSetStore() {
    return processedSetStore;
  }

  /** The lock store in this database. Closing it does nothing: close the database instead. */
  public LockStore lockStore() {
    return lockStore;
  }

  /**
   * The job store in this database. Closing it does nothing: close the database instead. Its
   * subscribers hear of jobs enqueued through this database only (see {@link SqliteJobStore}).
   */
  public JobStore jobStore() {
    return jobStore;
  }

  /** Closes the connection; the stores of this database fail from then on. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        closeQuietly();
      }
    } finally {
      lock.unlock();
    }
  }

  private void closeQuietly() {
    for (PreparedStatement ps : statements.values()) {
      try {
        ps.close();
      } catch (SQLException e) {
        // closing anyway
      }
    }
    statements.clear();
    try {
      connection.close();
    } catch (SQLException e) {
      // closing anyway
    }
  }

  // ---- for the stores of this package -------------------------------------------------------

  /** Work on the connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(SqliteDatabase db) throws SQLException;
  }

  /** Runs {@code work} alone on the connection, in auto-commit mode. */
  <T> T withConnection(String what, Work<T> work) {
    lock.lock();
    try {
      checkOpen(what);
      return work.run(this);
    } catch (SQLException e) {
      throw unavailable(what, e);
    } finally {
      lock.unlock();
    }
  }

  /** Runs {@code work} in one {@code BEGIN IMMEDIATE} transaction; rolls back on any failure. */
  <T> T inTransaction(String what, Work<T> work) {
    lock.lock();
    try {
      checkOpen(what);
      prepare("BEGIN IMMEDIATE").execute(); // prepared once: a claim is a hot path
      try {
        T result = work.run(this);
        prepare("COMMIT").execute();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        SqliteDialect.INSTANCE.rollback(connection);
        throw e;
      }
    } catch (SQLException e) {
      throw unavailable(what, e);
    } finally {
      lock.unlock();
    }
  }

  /** The prepared statement for {@code sql}, made once per connection. Call under the lock. */
  PreparedStatement prepare(String sql) throws SQLException {
    PreparedStatement ps = statements.get(sql);
    if (ps == null) {
      ps = connection.prepareStatement(sql);
      statements.put(sql, ps);
    }
    return ps;
  }

  private void checkOpen(String what) {
    if (closed) {
      throw new StoreUnavailableException(
          "SQLite database " + path + " is closed (" + what + ")", null);
    }
  }

  private StoreUnavailableException unavailable(String what, SQLException e) {
    String busy =
        e.getMessage() != null && e.getMessage().contains("SQLITE_BUSY")
            ? " (the file stayed locked by another process past the busy timeout)"
            : "";
    return new StoreUnavailableException(
        "SQLite database " + path + ": " + what + " failed" + busy + ": " + e.getMessage(), e);
  }

  /** Builds and opens a {@link SqliteDatabase}. Not thread-safe. */
  public static final class Builder {
    private final Path path;
    private Clock clock = Clock.systemUTC();
    private Duration busyTimeout = DEFAULT_BUSY_TIMEOUT;
    private Synchronous synchronous = Synchronous.NORMAL;

    private Builder(Path path) {
      this.path = Objects.requireNonNull(path, "path");
    }

    /** The clock of leases and expiry. Default: system UTC. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How long a statement waits for another process's lock. Default {@link #DEFAULT_BUSY_TIMEOUT}.
     */
    public Builder busyTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("busyTimeout must not be negative, but was " + timeout);
      }
      this.busyTimeout = timeout;
      return this;
    }

    /** How often commits reach the disk. Default {@link Synchronous#NORMAL}. */
    public Builder synchronous(Synchronous synchronous) {
      this.synchronous = Objects.requireNonNull(synchronous, "synchronous");
      return this;
    }

    /** Opens the database, creating it and its folder when missing. */
    public SqliteDatabase open() {
      return new SqliteDatabase(this);
    }
  }

  /** For {@link SqliteIdempotencyStore#open}: the same database, closed with its store. */
  static SqliteIdempotencyStore owningStore(SqliteDatabase db) {
    return new SqliteIdempotencyStore(db, true);
  }

  @Override
  public String toString() {
    return "SqliteDatabase[" + path + (closed ? ", closed" : "") + "]";
  }
}
