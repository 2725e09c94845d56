package io.idem.postgres;

import io.idem.StoreUnavailableException;
import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.spi.LockStore;
import io.idem.spi.LockTransitions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The {@link LockStore} on PostgreSQL: leased locks with fencing tokens for many processes and
 * machines sharing one database, in table {@code idem_locks} (one row per lock name, never deleted)
 * in a schema of your choice, statements in {@code io/idem/postgres/locks.sql}, each step of {@link
 * LockTransitions} one SQL statement. A lock whose holder died is free once its lease passes; for
 * locks tied to the holder's database session instead, see {@link PostgresAdvisoryLockStore}.
 *
 * <pre>{@code
 * LockStore locks = PostgresLockStore.builder(pool).schema("idem").build();
 * LockManager manager = LockManager.create(locks);
 * }</pre>
 *
 * <p>Defaults: schema {@value PostgresSchema#DEFAULT_SCHEMA}; the system UTC clock; the schema is
 * applied on {@link Builder#build()} (see {@link PostgresSchema} for applying it yourself, then
 * {@link Builder#applySchema(boolean) applySchema(false)}).
 *
 * <p>Algorithm (times are epoch milliseconds of the store's {@link Clock}, passed as parameters;
 * the database's own clock is never used, so all processes must have reasonably synchronised
 * clocks, as for any lease):
 *
 * <ol>
 *   <li><b>tryAcquire</b>: first, for a lock whose row exists (every name used before: rows are
 *       never deleted), one plain {@code UPDATE idem_locks SET owner = ?, token = token + 1,
 *       acquired_at = :now, lease_until = :now + lease WHERE name = ? AND (lease_until IS NULL OR
 *       lease_until <= :now) RETURNING token}: PostgreSQL re-checks the WHERE on the newest version
 *       of a row changed meanwhile, so of concurrent acquirers exactly one takes a free lock, with
 *       the stored token + 1. When it updates nothing, the lock is held or has no row: the holder
 *       is read ({@code holder} below) and returned when there is one. Otherwise (no row, or freed
 *       in between) the acquire statement runs: {@code WITH acquired AS (INSERT INTO idem_locks AS
 *       l (name, owner, token, acquired_at, lease_until) VALUES (?, ?, 1, :now, :now + lease) ON
 *       CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, token = l.token + 1, acquired_at =
 *       EXCLUDED.acquired_at, lease_until = EXCLUDED.lease_until WHERE l.lease_until IS NULL OR
 *       l.lease_until <= :now RETURNING *, TRUE) SELECT * FROM acquired UNION ALL SELECT *, FALSE
 *       FROM idem_locks WHERE name = ? AND NOT EXISTS (SELECT 1 FROM acquired)}, with the same
 *       guarantee on conflict. A row returned with FALSE is the holder. When the statement returns
 *       no row (another session inserted the first row after this statement's snapshot) or a FALSE
 *       row whose lease is over (taken over after the snapshot), it runs again, at most {@value
 *       #MAX_ACQUIRE_TRIES} times. Through a pool whose connections default to REPEATABLE READ or
 *       SERIALIZABLE, either statement fails instead when the row changed after its snapshot; then
 *       the holder statement, with a new snapshot, answers when the lock is held, else the acquire
 *       statement runs (again). Each acquisition is one statement (the UPDATE or the acquire
 *       statement); the UPDATE comes first because it costs PostgreSQL much less.
 *   <li><b>extend</b>: {@code UPDATE idem_locks SET lease_until = :now + lease WHERE name = ? AND
 *       token = ? AND lease_until > :now}; no row updated means the token no longer holds the lock.
 *   <li><b>release</b>: {@code UPDATE idem_locks SET lease_until = :now + keepFor WHERE name = ?
 *       AND token = ? AND lease_until > :now}: free at once for a zero {@code keepFor}; the row and
 *       its token stay.
 *   <li><b>holder</b>: {@code SELECT ... FROM idem_locks WHERE name = ? AND lease_until > :now}.
 * </ol>
 *
 * <p>Since rows are never deleted, tokens keep growing across releases and restarts of PostgreSQL
 * (they are committed like any row). Every step takes a connection from the {@link DataSource},
 * runs its one statement in auto-commit mode and gives the connection back; a statement aborted by
 * a serialization failure or a deadlock did nothing and runs again. Any {@link
 * java.sql.SQLException} is thrown as a {@link StoreUnavailableException} naming the server ({@code
 * host:port/database}), the schema and the step ("acquisition of lock ..."). Do not use one lock
 * name with both this store and {@link PostgresAdvisoryLockStore} on one schema: they share the
 * rows (and so the token sequence of a name), but not the notion of who holds it.
 *
 * <p>Names compare byte by byte ({@code COLLATE "C"}). PostgreSQL text cannot hold U+0000:
 * tryAcquire refuses a name or owner with it ({@link IllegalArgumentException}); extend, release
 * and holder answer as for a lock never held.
 *
 * <p>Thread-safe. {@link #close()} does nothing: the {@link DataSource} is yours to close.
 */
public final class PostgresLockStore implements LockStore {

  /** How many times an acquire statement runs before tryAcquire gives up (see the algorithm). */
  static final int MAX_ACQUIRE_TRIES = 10;

  private final PostgresDatabase db;
  private final Clock clock;
  private final NamedSql take;
  private final NamedSql acquire;
  private final NamedSql extend;
  private final NamedSql release;
  private final NamedSql holder;

  private PostgresLockStore(Builder b, PostgresDatabase db) {
    this.db = db;
    this.clock = b.clock;
    this.take = NamedSql.load(NamedSql.LOCKS, "lock.take", b.schema);
    this.acquire = NamedSql.load(NamedSql.LOCKS, "lock.acquire", b.schema);
    this.extend = NamedSql.load(NamedSql.LOCKS, "lock.extend", b.schema);
    this.release = NamedSql.load(NamedSql.LOCKS, "lock.release", b.schema);
    this.holder = NamedSql.load(NamedSql.LOCKS, "lock.holder", b.schema);
  }

  /** A builder of a store over {@code dataSource} (a connection pool such as HikariCP). */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** The schema of this store's tables. */
  public String schema() {
    return db.schema();
  }

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException {@code name} or {@code owner} contains U+0000, or {@code
   *     lease} is not positive
   */
  @Override
  public LockAttempt tryAcquire(String name, String owner, Duration lease) {
    PostgresText.requireNoNul("name", name);
    PostgresText.requireNoNul("owner", owner);
    PostgresText.requirePositive("lease", lease);
    return db.run(
        "acquisition of lock ",
        name,
        c -> {
          LockAttempt taken = take(c, name, owner, lease);
          if (taken != null) {
            return taken;
          }
          // held, or no row yet (a name never used): a read tells which without writing
          Instant now = now();
          LockLease current = select(c, name, now);
          if (current != null) {
            return new LockAttempt(false, current);
          }
          return acquire(c, name, owner, lease);
        });
  }

  /**
   * The first try of tryAcquire: one {@code UPDATE ... WHERE name = ? AND <free> RETURNING token}
   * of the lock's row; null, with nothing written, when the lock is held or has no row (or when,
   * under REPEATABLE READ or SERIALIZABLE, its row changed after the statement's snapshot).
   */
  private @Nullable LockAttempt take(Connection c, String name, String owner, Duration lease)
      throws SQLException {
    long now = clock.millis();
    long leaseUntil = now + lease.toMillis();
    try (PreparedStatement ps = take.prepare(c)) {
      take.setText(ps, "owner", owner);
      take.setLong(ps, "now", now);
      take.setLong(ps, "lease_until", leaseUntil);
      take.setText(ps, "name", name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        return new LockAttempt(
            true,
            new LockLease(
                name,
                owner,
                rs.getLong(1),
                Instant.ofEpochMilli(now),
                Instant.ofEpochMilli(leaseUntil)));
      }
    } catch (SQLException e) {
      if (PostgresDatabase.isRetryable(e)) {
        return null; // most likely taken by another session; the holder is read next
      }
      throw e;
    }
  }

  /** The acquire statement, for a lock that had no row or no holder when read (see above). */
  private LockAttempt acquire(Connection c, String name, String owner, Duration lease)
      throws SQLException {
    try (PreparedStatement ps = acquire.prepare(c)) {
      for (int i = 0; i < MAX_ACQUIRE_TRIES; i++) {
        Instant now = now();
        acquire.setText(ps, "name", name);
        acquire.setText(ps, "owner", owner);
        acquire.setLong(ps, "now", now.toEpochMilli());
        acquire.setLong(ps, "lease_until", now.plus(lease).toEpochMilli());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            continue; // inserted by another session after this statement's snapshot
          }
          LockLease row = LockRows.lease(rs);
          if (row != null && rs.getBoolean(6)) {
            return new LockAttempt(true, row);
          }
          if (row != null && row.isHeldAt(now)) {
            return new LockAttempt(false, row);
          }
          // the snapshot's row was free, but a newer version (taken meanwhile) is held
        } catch (SQLException e) {
          // REPEATABLE READ or SERIALIZABLE: the row changed after the snapshot, most
          // likely taken by another session; the step has a new snapshot.
          if (!PostgresDatabase.isRetryable(e) || i == MAX_ACQUIRE_TRIES - 1) {
            throw e;
          }
          LockLease current = select(c, name, now);
          if (current != null) {
            return new LockAttempt(false, current);
          }
        }
      }
    }
    throw new StoreUnavailableException(
        db.describe()
            + ": acquisition of lock "
            + name
            + " failed: the lock kept changing under "
            + MAX_ACQUIRE_TRIES
            + " acquire statements",
        null);
  }

  @Override
  public boolean extend(String name, long token, Duration lease) {
    PostgresText.requirePositive("lease", lease);
    return update(extend, "extend of lock ", name, token, lease);
  }

  @Override
  public boolean release(String name, long token, Duration keepFor) {
    PostgresText.requireNotNegative("keepFor", keepFor);
    return update(release, "release of lock ", name, token, keepFor);
  }

  private boolean update(
      NamedSql statement, String action, String name, long token, Duration leaseFromNow) {
    Objects.requireNonNull(name, "name");
    if (PostgresText.hasNul(name)) {
      return false;
    }
    long now = clock.millis();
    long leaseUntil = now + leaseFromNow.toMillis();
    return db.run(
        action,
        name,
        c -> {
          try (PreparedStatement ps = statement.prepare(c)) {
            statement.setLong(ps, "lease_until", leaseUntil);
            statement.setText(ps, "name", name);
            statement.setLong(ps, "token", token);
            statement.setLong(ps, "now", now);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public Optional<LockLease> holder(String name) {
    Objects.requireNonNull(name, "name");
    if (PostgresText.hasNul(name)) {
      return Optional.empty();
    }
    Instant now = now();
    return Optional.ofNullable(db.run("holder of lock ", name, c -> select(c, name, now)));
  }

  /** The holding of {@code name} whose lease runs at {@code now}, if any. */
  private @Nullable LockLease select(Connection c, String name, Instant now) throws SQLException {
    try (PreparedStatement ps = holder.prepare(c)) {
      holder.setText(ps, "name", name);
      holder.setLong(ps, "now", now.toEpochMilli());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? LockRows.lease(rs) : null;
      }
    }
  }

  /** Does nothing: the {@link DataSource} belongs to the caller, who closes it. */
  @Override
  public void close() {}

  @Override
  public String toString() {
    return "PostgresLockStore[" + db.describe() + "]";
  }

  /**
   * Builds a {@link PostgresLockStore}; the settings are {@link PostgresStoreBuilder}'s. Not
   * thread-safe.
   */
  public static final class Builder extends PostgresStoreBuilder<Builder, PostgresLockStore> {

    private Builder(DataSource dataSource) {
      super(dataSource);
    }

    @Override
    PostgresLockStore create(PostgresDatabase db) {
      return new PostgresLockStore(this, db);
    }
  }
}
