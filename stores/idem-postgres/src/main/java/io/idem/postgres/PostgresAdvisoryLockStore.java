package io.idem.postgres;

import io.idem.StoreUnavailableException;
import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.spi.LockStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link LockStore} on PostgreSQL session-level advisory locks: a lock is held by a database
 * session, so it is freed when the holder's connection dies (a crashed process, a killed session),
 * without waiting for a lease to pass. Fencing tokens still come from table {@code idem_locks} (one
 * row per lock name, never deleted), so they strictly increase across holders, releases and
 * restarts of PostgreSQL. For locks that are free once a lease passes, see {@link
 * PostgresLockStore}.
 *
 * <pre>{@code
 * LockStore locks = PostgresAdvisoryLockStore.builder(pool).schema("idem").build();
 * LockManager manager = LockManager.create(locks);
 * }</pre>
 *
 * <p><b>Limits</b> (read them before choosing this store):
 *
 * <ul>
 *   <li><b>Session scope.</b> The lock lives exactly as long as the session of the connection that
 *       took it. A process that crashes or loses its network frees its locks only when PostgreSQL
 *       notices the dead connection (at once for a closed socket; for a vanished machine after the
 *       server's TCP keepalive, {@code tcp_keepalives_idle} and friends, or {@code
 *       client_connection_check_interval}). Anything that ends the session ends the lock: a server
 *       restart, {@code pg_terminate_backend}, {@code idle_session_timeout}, a pool that closes the
 *       connection.
 *   <li><b>Leases are not enforced.</b> The lock does not expire by time: {@code lease} and {@link
 *       #extend extend} only write {@code lease_until} into the row, for {@link #holder} and
 *       monitoring; extend checks only that this store holds the lock with that token. A holder
 *       that hangs keeps its lock until its session ends. {@link LockLease#leaseUntil()} of a
 *       holder may therefore lie in the past.
 *   <li><b>No connection poolers in transaction mode.</b> PgBouncer (or any pooler) in transaction
 *       or statement pooling mode hands one client's statements to different server sessions and
 *       breaks session advisory locks: connect directly or in session mode.
 *   <li><b>One pooled connection per held lock.</b> Each held lock keeps one connection of the
 *       {@link DataSource} out of the pool until it is released: size the pool for the locks held
 *       at once plus the other work, or give this store a pool of its own. An acquisition waits for
 *       a free connection up to the pool's connection timeout, then fails with {@link
 *       StoreUnavailableException}. Pools that retire or flag long-borrowed connections (a leak
 *       detection threshold) see held locks as such.
 *   <li><b>Names are hashed.</b> The advisory key is the first 8 bytes (big-endian) of the SHA-256
 *       of the UTF-8 bytes of {@code schema + '\0' + name}. Two names whose keys collide share one
 *       lock, and the advisory key space is shared with every other user of advisory locks in the
 *       database (Idem's own schema migration uses key {@code 0x4944454D5343484D}, held for a
 *       transaction). A try refused by a colliding holder reports that holder as unknown (see
 *       tryAcquire below).
 *   <li><b>Only the acquiring store instance can extend or release.</b> The lock belongs to a
 *       connection of this instance: extend and release with a token that another process (or
 *       another instance) acquired return false.
 *   <li><b>release with a keep time</b> (a lock-at-least time, as {@code LockManager.tryRun} uses)
 *       keeps the connection, and so the lock, for {@code keepFor}, measured on this process's
 *       monotonic time (not the store's clock), then releases it from a daemon thread of this
 *       store; {@code lease_until} in the row says until when. If the process dies meanwhile, the
 *       lock is freed early, with its session. A later release with zero {@code keepFor} frees it
 *       at once, an extend keeps it until released. {@link #close()} releases every lock this store
 *       holds at once, kept ones included.
 *   <li>Do not use one lock name with both this store and {@link PostgresLockStore} on one schema:
 *       they share the rows, not the notion of who holds the lock.
 * </ul>
 *
 * <p>Defaults: schema {@value PostgresSchema#DEFAULT_SCHEMA}; the system UTC clock; the schema is
 * applied on {@link Builder#build()} (see {@link PostgresSchema}).
 *
 * <p>Algorithm (statements in {@code io/idem/postgres/locks.sql}; times are epoch milliseconds of
 * the store's {@link Clock}, never the database's):
 *
 * <ol>
 *   <li><b>tryAcquire</b>: take a connection from the {@link DataSource} (in auto-commit mode) and
 *       run one statement on it: {@code WITH attempt AS (SELECT pg_try_advisory_lock(:key) AS
 *       locked), acquired AS (INSERT INTO idem_locks AS l (name, owner, token, acquired_at,
 *       lease_until) SELECT ?, ?, 1, :now, :now + lease FROM attempt WHERE locked ON CONFLICT
 *       (name) DO UPDATE SET owner = EXCLUDED.owner, token = l.token + 1, acquired_at = ...,
 *       lease_until = ... RETURNING *, TRUE) SELECT * FROM acquired UNION ALL SELECT *, FALSE FROM
 *       idem_locks WHERE name = ? AND NOT EXISTS (SELECT 1 FROM acquired)}. When the advisory lock
 *       is granted, the row gets the next token in the same statement, and the connection is kept,
 *       holding the lock. Otherwise the connection goes back to the pool and the FALSE row is the
 *       holder. While a new holder's statement has not committed, the row may be missing or show
 *       the previous holding; the statement then runs again, at most {@value #MAX_ACQUIRE_TRIES}
 *       times, after which the row as last seen is reported, or, when there is none (a colliding
 *       name holds the key), a holding with owner {@code "unknown holder of advisory lock <key>"},
 *       token 0 and both times now. A statement that fails after the advisory lock was granted has
 *       its lock released ({@code pg_advisory_unlock_all()}) before the connection goes back.
 *       Through a pool whose connections default to REPEATABLE READ or SERIALIZABLE, the statement
 *       fails when the row changed after its snapshot (a previous holder's release): its lock is
 *       released, the holder statement below answers when the lock is held, else the statement runs
 *       again.
 *   <li><b>extend</b>: on the held connection, {@code UPDATE idem_locks SET lease_until = :now +
 *       lease WHERE name = ? AND token = ?}. When that connection has died, the lock is lost:
 *       false.
 *   <li><b>release</b> with zero {@code keepFor}: on the held connection, {@code UPDATE idem_locks
 *       SET lease_until = :now WHERE name = ? AND token = ?}, committed before {@code SELECT
 *       pg_advisory_unlock(:key)} (two statements, so that the next holder finds the row committed:
 *       through a REPEATABLE READ pool it would otherwise fail and run again); then the connection
 *       goes back to the pool. With a keep time: the {@code UPDATE} of extend with {@code :now +
 *       keepFor}, and the release is scheduled after {@code keepFor}.
 *   <li><b>holder</b>: on a pooled connection, {@code SELECT ... FROM idem_locks WHERE name = ? AND
 *       EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = <this
 *       database> AND classid = <key's high 32 bits> AND objid = <key's low 32 bits> AND objsubid =
 *       1)}: the row, while any session holds the advisory lock.
 * </ol>
 *
 * <p>Any {@link SQLException} is thrown as a {@link StoreUnavailableException} naming the server
 * ({@code host:port/database}), the schema and the step. Names compare byte by byte; a name or
 * owner with U+0000 is refused by tryAcquire ({@link IllegalArgumentException}) and answered as
 * never held by the other steps.
 *
 * <p>Thread-safe: steps on one held lock are serialised on it (a JDBC connection is used by one
 * thread at a time). {@link #close()} releases the locks this store holds and stops its thread; the
 * {@link DataSource} is yours to close, after the store.
 */
public final class PostgresAdvisoryLockStore implements LockStore {

  /** How many times an acquire statement runs before tryAcquire answers (see the algorithm). */
  static final int MAX_ACQUIRE_TRIES = 10;

  private static final Logger LOG = LoggerFactory.getLogger(PostgresAdvisoryLockStore.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final PostgresDatabase db;
  private final Clock clock;
  private final NamedSql acquire;
  private final NamedSql lease;
  private final NamedSql release;
  private final NamedSql unlock;
  private final NamedSql holder;
  private final ConcurrentHashMap<String, Holding> held = new ConcurrentHashMap<>();
  private final ScheduledThreadPoolExecutor unlocker;
  private volatile boolean closed;

  private PostgresAdvisoryLockStore(Builder b, PostgresDatabase db) {
    this.db = db;
    this.clock = b.clock;
    this.acquire = NamedSql.load(NamedSql.LOCKS, "advisory.acquire", b.schema);
    this.lease = NamedSql.load(NamedSql.LOCKS, "advisory.lease", b.schema);
    this.release = NamedSql.load(NamedSql.LOCKS, "advisory.release", b.schema);
    this.unlock = NamedSql.load(NamedSql.LOCKS, "advisory.unlock", b.schema);
    this.holder = NamedSql.load(NamedSql.LOCKS, "advisory.holder", b.schema);
    // Threads start only when a release with a keep time is scheduled.
    this.unlocker =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "idem-pg-advisory-unlock-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    unlocker.setRemoveOnCancelPolicy(true);
  }

  /** A builder of a store over {@code dataSource} (a connection pool such as HikariCP). */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** The schema of this store's tables. */
  public String schema() {
    return db.schema();
  }

  /**
   * The advisory lock key of lock {@code name} in {@code schema}: the first 8 bytes (big-endian) of
   * the SHA-256 of the UTF-8 bytes of {@code schema + '\0' + name}.
   */
  static long advisoryKey(String schema, String name) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest((schema + '\u0000' + name).getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private long key(String name) {
    return advisoryKey(db.schema(), name);
  }

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  /**
   * {@inheritDoc}
   *
   * <p>The acquired lock is held by a connection of this store until released; {@code lease} is
   * written into the row but not enforced.
   *
   * @throws IllegalArgumentException {@code name} or {@code owner} contains U+0000, or {@code
   *     lease} is not positive
   * @throws IllegalStateException the store is closed
   */
  @Override
  public LockAttempt tryAcquire(String name, String owner, Duration lease) {
    PostgresText.requireNoNul("name", name);
    PostgresText.requireNoNul("owner", owner);
    PostgresText.requirePositive("lease", lease);
    requireOpen();
    String what = "acquisition of lock " + name;
    long key = key(name);
    Connection c = db.connect(what);
    boolean keep = false;
    boolean restoreAutoCommit = false;
    try {
      if (!c.getAutoCommit()) {
        c.setAutoCommit(true);
        restoreAutoCommit = true;
      }
      LockLease seen = null;
      Instant now = now();
      try (PreparedStatement ps = acquire.prepare(c)) {
        for (int i = 0; i < MAX_ACQUIRE_TRIES; i++) {
          now = now();
          acquire.setLong(ps, "key", key);
          acquire.setText(ps, "name", name);
          acquire.setText(ps, "owner", owner);
          acquire.setLong(ps, "now", now.toEpochMilli());
          acquire.setLong(ps, "lease_until", now.plus(lease).toEpochMilli());
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              continue; // a new holder's first row is not committed yet
            }
            LockLease row = LockRows.lease(rs);
            if (row != null && rs.getBoolean(6)) {
              Holding h = new Holding(name, key, row, c, restoreAutoCommit);
              keep = true;
              Holding stale = held.put(name, h);
              if (stale != null) {
                stale.discard(); // its session died: PostgreSQL had freed the lock
              }
              if (closed) {
                releaseNowQuietly(h);
                throw closedException();
              }
              return new LockAttempt(true, row);
            }
            if (row != null) {
              seen = row;
              if (row.isHeldAt(now)) {
                return new LockAttempt(false, row);
              }
            }
          } catch (SQLException e) {
            // REPEATABLE READ or SERIALIZABLE: the row changed after the snapshot (a previous
            // holder's release). The try may have been granted before the statement failed.
            if (!PostgresDatabase.isRetryable(e) || i == MAX_ACQUIRE_TRIES - 1) {
              throw e;
            }
            unlockAll(c);
            LockLease current = select(c, name, key);
            if (current != null) {
              return new LockAttempt(false, current);
            }
          }
        }
      }
      return new LockAttempt(
          false,
          seen != null
              ? seen
              : new LockLease(name, "unknown holder of advisory lock " + key, 0, now, now));
    } catch (SQLException e) {
      unlockAll(c);
      throw db.unavailable(what, e);
    } finally {
      if (!keep) {
        giveBack(c, restoreAutoCommit);
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Writes {@code now + lease} into the row, for {@link #holder}; the lock itself does not
   * expire. True while this store holds the lock with {@code token} on a live connection; a pending
   * release with a keep time is cancelled (the lock stays held until released).
   */
  @Override
  public boolean extend(String name, long token, Duration lease) {
    PostgresText.requirePositive("lease", lease);
    Holding h = holding(name, token);
    if (h == null) {
      return false;
    }
    synchronized (h) {
      if (h.closed) {
        return false;
      }
      h.cancelKeep();
      return writeLease(h, "extend of lock " + name, now().plus(lease));
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>With a {@code keepFor} above zero, the lock stays held by this store's connection for {@code
   * keepFor} (this process's monotonic time) and is then released by a thread of this store.
   */
  @Override
  public boolean release(String name, long token, Duration keepFor) {
    PostgresText.requireNotNegative("keepFor", keepFor);
    Holding h = holding(name, token);
    if (h == null) {
      return false;
    }
    synchronized (h) {
      if (h.closed) {
        return false;
      }
      h.cancelKeep();
      if (keepFor.isZero()) {
        return releaseNow(h);
      }
      if (!writeLease(h, "release of lock " + name, now().plus(keepFor))) {
        return false;
      }
      long generation = h.keepGeneration;
      h.keep =
          unlocker.schedule(
              () -> releaseKept(h, generation), keepFor.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    }
  }

  private @Nullable Holding holding(String name, long token) {
    Objects.requireNonNull(name, "name");
    if (PostgresText.hasNul(name)) {
      return null;
    }
    Holding h = held.get(name);
    return h != null && h.lease.token() == token ? h : null;
  }

  /** Writes {@code until} into the held row; false, dropping the holding, when the session died. */
  private boolean writeLease(Holding h, String what, Instant until) {
    try (PreparedStatement ps = lease.prepare(h.connection)) {
      lease.setLong(ps, "lease_until", until.toEpochMilli());
      lease.setText(ps, "name", h.name);
      lease.setLong(ps, "token", h.lease.token());
      if (ps.executeUpdate() != 1) {
        return false; // the row was changed behind this store's back
      }
      LockLease l = h.lease;
      h.lease = new LockLease(l.name(), l.owner(), l.token(), l.acquiredAt(), until);
      return true;
    } catch (SQLException e) {
      if (!isAlive(h.connection)) {
        LOG.warn(
            "Lock {} (token {}) was lost with its PostgreSQL session: {}",
            h.name,
            h.lease.token(),
            PostgresDatabase.messages(e));
        drop(h);
        h.discard();
        return false;
      }
      throw db.unavailable(what, e);
    }
  }

  /** Releases {@code h} at once, under its monitor. */
  private boolean releaseNow(Holding h) {
    String what = "release of lock " + h.name;
    try {
      try (PreparedStatement ps = release.prepare(h.connection)) {
        release.setLong(ps, "now", now().toEpochMilli());
        release.setText(ps, "name", h.name);
        release.setLong(ps, "token", h.lease.token());
        ps.executeUpdate();
      }
      boolean unlocked;
      try (PreparedStatement ps = unlock.prepare(h.connection)) {
        unlock.setLong(ps, "key", h.key);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          unlocked = rs.getBoolean(1);
        }
      }
      drop(h);
      h.giveBack();
      return unlocked;
    } catch (SQLException e) {
      // The lock goes with the session: closing the connection frees it once PostgreSQL notices.
      boolean alive = isAlive(h.connection);
      drop(h);
      h.discard();
      if (!alive) {
        return false; // the session had died, and the lock with it
      }
      throw db.unavailable(what + " (its connection was closed instead)", e);
    }
  }

  private void releaseNowQuietly(Holding h) {
    synchronized (h) {
      if (h.closed) {
        return;
      }
      h.cancelKeep();
      try {
        releaseNow(h);
      } catch (RuntimeException e) {
        LOG.warn("Release of lock {} failed: {}", h.name, e.toString());
      }
    }
  }

  private void releaseKept(Holding h, long generation) {
    synchronized (h) {
      if (h.closed || h.keepGeneration != generation) {
        return;
      }
      h.keep = null;
      try {
        releaseNow(h);
      } catch (RuntimeException e) {
        LOG.warn("Release of lock {} after its keep time failed: {}", h.name, e.toString());
      }
    }
  }

  private void drop(Holding h) {
    held.remove(h.name, h);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The row while any session holds the lock's advisory lock; its {@code leaseUntil} is what the
   * holder last wrote and may have passed.
   */
  @Override
  public Optional<LockLease> holder(String name) {
    Objects.requireNonNull(name, "name");
    if (PostgresText.hasNul(name)) {
      return Optional.empty();
    }
    long key = key(name);
    return Optional.ofNullable(db.run("holder of lock " + name, c -> select(c, name, key)));
  }

  /** The row of {@code name} when a session holds the advisory lock {@code key}, else null. */
  private @Nullable LockLease select(Connection c, String name, long key) throws SQLException {
    try (PreparedStatement ps = holder.prepare(c)) {
      holder.setText(ps, "name", name);
      holder.setLong(ps, "key_high", key >>> 32);
      holder.setLong(ps, "key_low", key & 0xFFFF_FFFFL);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? LockRows.lease(rs) : null;
      }
    }
  }

  /**
   * Releases every lock this store holds (kept ones included) and gives their connections back,
   * then stops the store's thread. Later acquisitions fail; calling it again does nothing.
   */
  @Override
  public void close() {
    closed = true;
    for (Holding h : List.copyOf(held.values())) {
      releaseNowQuietly(h);
    }
    unlocker.shutdownNow();
  }

  private void requireOpen() {
    if (closed) {
      throw closedException();
    }
  }

  private IllegalStateException closedException() {
    return new IllegalStateException(this + " is closed");
  }

  @Override
  public String toString() {
    return "PostgresAdvisoryLockStore[" + db.describe() + "]";
  }

  private static boolean isAlive(Connection c) {
    try {
      return !c.isClosed() && c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  /** Releases every advisory lock of {@code c}'s session; closes the connection when that fails. */
  private static void unlockAll(Connection c) {
    try (Statement s = c.createStatement()) {
      s.execute("SELECT pg_catalog.pg_advisory_unlock_all()");
    } catch (SQLException e) {
      abort(c);
    }
  }

  /** Closes the physical connection, so that its session, and any lock of it, ends. */
  private static void abort(Connection c) {
    try {
      c.abort(Runnable::run);
    } catch (SQLException | RuntimeException e) {
      // already gone
    }
  }

  private static void giveBack(Connection c, boolean restoreAutoCommit) {
    if (restoreAutoCommit) {
      try {
        c.setAutoCommit(false);
      } catch (SQLException e) {
        // broken: the pool finds out
      }
    }
    PostgresDatabase.closeQuietly(c);
  }

  /** A lock this store holds: the connection whose session holds the advisory lock. */
  private static final class Holding {
    final String name;
    final long key;
    final Connection connection;
    final boolean restoreAutoCommit;
    volatile LockLease lease;
    boolean closed;
    long keepGeneration;
    @Nullable ScheduledFuture<?> keep;

    Holding(
        String name, long key, LockLease lease, Connection connection, boolean restoreAutoCommit) {
      this.name = name;
      this.key = key;
      this.lease = lease;
      this.connection = connection;
      this.restoreAutoCommit = restoreAutoCommit;
    }

    /** Cancels a scheduled release; call holding the monitor. */
    void cancelKeep() {
      keepGeneration++;
      if (keep != null) {
        keep.cancel(false);
        keep = null;
      }
    }

    /** Gives the connection back to the pool; its advisory lock was released. */
    synchronized void giveBack() {
      if (!closed) {
        closed = true;
        PostgresAdvisoryLockStore.giveBack(connection, restoreAutoCommit);
      }
    }

    /** Closes the physical connection, ending its session and so its lock. */
    synchronized void discard() {
      if (!closed) {
        closed = true;
        cancelKeep();
        abort(connection);
        PostgresDatabase.closeQuietly(connection);
      }
    }
  }

  /**
   * Builds a {@link PostgresAdvisoryLockStore}; the settings are {@link PostgresStoreBuilder}'s.
   * Not thread-safe.
   */
  public static final class Builder
      extends PostgresStoreBuilder<Builder, PostgresAdvisoryLockStore> {

    private Builder(DataSource dataSource) {
      super(dataSource);
    }

    @Override
    PostgresAdvisoryLockStore create(PostgresDatabase db) {
      return new PostgresAdvisoryLockStore(this, db);
    }
  }
}
