package io.idem.sqlite;

import io.idem.internal.Durations;
import io.idem.jdbc.SqlStatements;
import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.spi.LockStore;
import io.idem.spi.LockTransitions;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The {@link LockStore} of a {@link SqliteDatabase}: one row per lock name in {@code idem_locks},
 * statements in {@code io/idem/sqlite/locks.sql}, with the semantics of {@link LockTransitions}.
 * Times are the database clock's epoch milliseconds, read once a step has the connection (for
 * tryAcquire, inside its transaction); a lock is held while {@code lease_until} is after now. Rows
 * are never deleted, so a lock keeps its token through release and expiry and the next
 * acquisition's token (stored token + 1) is greater than every earlier one, also after the database
 * is closed and reopened.
 *
 * <p>Algorithm:
 *
 * <ol>
 *   <li><b>tryAcquire</b>: one {@code BEGIN IMMEDIATE} transaction (it holds the file's write lock,
 *       so no other process or thread can interleave): {@code lock.select}; {@link
 *       LockTransitions#acquire} decides; when it acquires, {@code lock.upsert} writes the new
 *       holding; {@code COMMIT}. A refusal writes nothing and returns the stored holder.
 *   <li><b>extend</b>: one {@code UPDATE idem_locks SET lease_until = now + lease WHERE name = ?
 *       AND token = ? AND lease_until > now} ({@code lock.move_lease}); zero rows updated means the
 *       token no longer holds the lock, and nothing changed.
 *   <li><b>release</b>: the same {@code UPDATE} with {@code lease_until = now + keepFor}: now
 *       itself for a zero {@code keepFor} (the lock is free at once; owner and token stay in the
 *       row).
 *   <li><b>holder</b>: {@code lock.select}; a holding whose lease has passed reads as absent.
 * </ol>
 *
 * <p>Thread-safe: every step runs alone on the database's connection; the steps that write are one
 * transaction or one statement, atomic for other processes on the file too.
 */
public final class SqliteLockStore implements LockStore {

  private static final SqlStatements SQL =
      SqlStatements.load(SqliteLockStore.class, "io/idem/sqlite/locks.sql");
  private static final String SELECT = SQL.get("lock.select");
  private static final String UPSERT = SQL.get("lock.upsert");
  private static final String MOVE_LEASE = SQL.get("lock.move_lease");

  private final SqliteDatabase db;
  private final Clock clock;
  private final boolean ownsDatabase;

  SqliteLockStore(SqliteDatabase db, boolean ownsDatabase) {
    this.db = db;
    this.clock = db.clock();
    this.ownsDatabase = ownsDatabase;
  }

  /**
   * A store over its own database at {@code path}; closing the store closes the database.
   * Equivalent to {@code SqliteDatabase.builder(path).clock(clock).open().lockStore()} with the
   * database closed by the store.
   */
  public static SqliteLockStore open(Path path, Clock clock) {
    return new SqliteLockStore(SqliteDatabase.builder(path).clock(clock).open(), true);
  }

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  @Override
  public LockAttempt tryAcquire(String name, String owner, Duration lease) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(owner, "owner");
    Durations.requirePositive("lease", lease);
    return db.inTransaction(
        "acquisition of lock " + name,
        d -> {
          Instant now = now(); // in the transaction: no other step can come between
          LockAttempt attempt = LockTransitions.acquire(select(d, name), name, owner, lease, now);
          if (attempt.acquired()) {
            LockLease l = attempt.lease();
            PreparedStatement ps = d.prepare(UPSERT);
            ps.setString(1, l.name());
            ps.setString(2, l.owner());
            ps.setLong(3, l.token());
            ps.setLong(4, l.acquiredAt().toEpochMilli());
            ps.setLong(5, l.leaseUntil().toEpochMilli());
            ps.executeUpdate();
          }
          return attempt;
        });
  }

  @Override
  public boolean extend(String name, long token, Duration lease) {
    Objects.requireNonNull(name, "name");
    Durations.requirePositive("lease", lease);
    return moveLease("extend of lock " + name, name, token, lease);
  }

  @Override
  public boolean release(String name, long token, Duration keepFor) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keepFor, "keepFor");
    if (keepFor.isNegative()) {
      throw new IllegalArgumentException("keepFor must not be negative, but was " + keepFor);
    }
    return moveLease("release of lock " + name, name, token, keepFor);
  }

  /** Sets the holding of {@code token} to end at now + {@code length}, if it holds the lock now. */
  private boolean moveLease(String what, String name, long token, Duration length) {
    return db.withConnection(
        what,
        d -> {
          Instant now = now();
          Instant leaseUntil = now.plus(length);
          PreparedStatement ps = d.prepare(MOVE_LEASE);
          ps.setLong(1, leaseUntil.toEpochMilli());
          ps.setString(2, name);
          ps.setLong(3, token);
          ps.setLong(4, now.toEpochMilli());
          return ps.executeUpdate() == 1;
        });
  }

  @Override
  public Optional<LockLease> holder(String name) {
    Objects.requireNonNull(name, "name");
    Instant now = now();
    LockLease stored = db.withConnection("holder of lock " + name, d -> select(d, name));
    return stored != null && stored.isHeldAt(now) ? Optional.of(stored) : Optional.empty();
  }

  /** Closes the database when this store was opened with {@link #open}; else does nothing. */
  @Override
  public void close() {
    if (ownsDatabase) {
      db.close();
    }
  }

  @Override
  public String toString() {
    return "SqliteLockStore[" + db.path() + "]";
  }

  private static @Nullable LockLease select(SqliteDatabase d, String name) throws SQLException {
    PreparedStatement ps = d.prepare(SELECT);
    ps.setString(1, name);
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return null;
      }
      return new LockLease(
          rs.getString(1),
          rs.getString(2),
          rs.getLong(3),
          Instant.ofEpochMilli(rs.getLong(4)),
          Instant.ofEpochMilli(rs.getLong(5)));
    }
  }
}
