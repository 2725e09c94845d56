package io.idem.postgres;

import io.idem.StoreUnavailableException;
import io.idem.internal.Durations;
import io.idem.jdbc.Rows;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.ClaimStatus;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.RecordState;
import io.idem.spi.RecordTransitions;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
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
 * The {@link IdempotencyStore} on PostgreSQL, for many processes and machines sharing one database:
 * table {@code idem_records} in a schema of your choice, statements in {@code
 * io/idem/postgres/idempotency.sql}, each step of the record state machine ({@link
 * RecordTransitions}) one SQL statement.
 *
 * <pre>{@code
 * HikariConfig config = new HikariConfig();
 * config.setJdbcUrl("jdbc:postgresql://db.internal:5432/app");
 * config.setUsername("app");
 * config.setPassword(secret);
 * HikariDataSource pool = new HikariDataSource(config);
 *
 * IdempotencyStore store = PostgresIdempotencyStore.builder(pool).schema("idem").build();
 * Idem idem = Idem.builder(store).build();
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
 *   <li><b>claim</b>: first, for a key without a record (the common case), one plain {@code INSERT
 *       INTO idem_records ... VALUES (..., nextval('idem_token_seq'), ...) ON CONFLICT (key) DO
 *       NOTHING RETURNING token}: the fresh IN_PROGRESS record, attempt 1. When the key has a
 *       record, that statement writes nothing and returns no row; the record is then read ({@code
 *       SELECT ... WHERE key = ?}) and classified in Java by {@link RecordTransitions#claim}:
 *       COMPLETED, CACHED_FAILURE, IN_PROGRESS, MISMATCH or EXHAUSTED are answered from it, nothing
 *       written. Only a record that is claimable (or gone since) goes on to the claim statement,
 *       {@code WITH claimed AS (INSERT INTO idem_records ... ON CONFLICT (key) DO UPDATE SET state
 *       = 'IN_PROGRESS', token = GREATEST(EXCLUDED.token, token + 1), attempt = (1 when expired,
 *       else attempt + 1), ... WHERE <claimable> RETURNING *, TRUE) SELECT * FROM claimed UNION ALL
 *       SELECT *, FALSE FROM idem_records WHERE key = ? AND NOT EXISTS (SELECT 1 FROM claimed)}.
 *       The row is claimable when it has expired, or is FAILED with {@code retry_after} passed (any
 *       payload), or is IN_PROGRESS with its lease over and the same payload fingerprint — the last
 *       two only with attempts left. PostgreSQL locks the row, so exactly one of concurrent
 *       claimers wins. A row returned with FALSE is classified as above. When the statement returns
 *       no row (a first insert by another session committed after this statement's snapshot), or a
 *       row that the classification finds claimable (it changed after the snapshot), the statement
 *       runs again, at most 10 times. Every change of a record is still one statement (the INSERT,
 *       or the claim statement); the two-step path exists because a plain INSERT costs PostgreSQL
 *       much less than the claim statement, and the read, which takes no row lock, less than the
 *       claim statement on an existing row.
 *   <li><b>complete</b>, <b>fail</b>, <b>extend</b>: one {@code UPDATE idem_records SET ... WHERE
 *       key = ? AND state = 'IN_PROGRESS' AND token = ?} each; no row updated means the token no
 *       longer holds the key. extend also sets {@code expires_at = GREATEST(expires_at,
 *       lease_until)}.
 *   <li><b>get</b>: {@code SELECT ... WHERE key = ?}; an expired record reads as absent.
 *   <li><b>delete</b>: {@code DELETE ... WHERE key = ?}.
 *   <li><b>purgeExpired</b>: {@code DELETE ... WHERE key IN (SELECT key ... WHERE <expired> LIMIT ?
 *       FOR UPDATE SKIP LOCKED)}.
 * </ol>
 *
 * <p>Every step takes a connection from the {@link DataSource}, runs its one statement in
 * auto-commit mode (so nothing is ever half written) and gives the connection back; a statement
 * that PostgreSQL aborts with a serialization failure or a deadlock (possible when the pool's
 * connections default to REPEATABLE READ or SERIALIZABLE) did nothing and runs again. A claim of a
 * new key is one round trip, and a claim answers with the record when it does not claim, so {@link
 * #readBeforeClaim()} is false. Any {@link SQLException} is thrown as a {@link
 * StoreUnavailableException} whose message names the server ({@code host:port/database}), the
 * schema and the step ("claim of key ..."); the pool's settings (connection timeout, the driver's
 * {@code socketTimeout}) decide how long a step may wait for an unreachable server.
 *
 * <p>PostgreSQL text cannot hold U+0000: a key or fingerprint with it is refused ({@link
 * IllegalArgumentException}; such a key has no record), a result with it is refused, and in a
 * failure's type and message it is replaced by U+FFFD.
 *
 * <p>Thread-safe. {@link #close()} does nothing: the {@link DataSource} is yours to close.
 */
public final class PostgresIdempotencyStore implements IdempotencyStore {

  /** How many times a claim statement runs before a claim gives up (see the algorithm). */
  static final int MAX_CLAIM_TRIES = 10;

  private static final char NUL = '\u0000';
  private static final String REPLACEMENT = "\uFFFD";

  private final PostgresDatabase db;
  private final Clock clock;
  private final NamedSql insert;
  private final NamedSql claim;
  private final NamedSql select;
  private final NamedSql complete;
  private final NamedSql fail;
  private final NamedSql extend;
  private final NamedSql delete;
  private final NamedSql purge;

  private PostgresIdempotencyStore(Builder b, PostgresDatabase db) {
    this.db = db;
    this.clock = b.clock;
    this.insert = NamedSql.load("record.insert", b.schema);
    this.claim = NamedSql.load("record.claim", b.schema);
    this.select = NamedSql.load("record.select", b.schema);
    this.complete = NamedSql.load("record.complete", b.schema);
    this.fail = NamedSql.load("record.fail", b.schema);
    this.extend = NamedSql.load("record.extend", b.schema);
    this.delete = NamedSql.load("record.delete", b.schema);
    this.purge = NamedSql.load("record.purge", b.schema);
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

  @Override
  public ClaimResult claim(ClaimRequest request) {
    requireNoNul("key", request.key());
    requireNoNul("fingerprint", request.fingerprint());
    return db.run(
        "claim of key ",
        request.key(),
        c -> {
          ClaimResult fresh = insert(c, request);
          if (fresh != null) {
            return fresh;
          }
          // The key has a record: most often one to answer with (a replay, a claim in progress,
          // another payload), which a read decides without writing or locking anything.
          Instant now = now();
          IdempotencyRecord seen = select(c, request.key());
          if (seen != null) {
            ClaimResult decided = classify(seen, request, now);
            if (decided != null) {
              return decided;
            }
          }
          return claimExisting(c, request);
        });
  }

  /**
   * The first try of a claim, for a key without a record: one {@code INSERT ... ON CONFLICT DO
   * NOTHING RETURNING token} of the fresh IN_PROGRESS record; null, with nothing written, when the
   * key has a record.
   */
  private @Nullable ClaimResult insert(Connection c, ClaimRequest request) throws SQLException {
    long now = clock.millis();
    long leaseUntil = now + request.lease().toMillis();
    long expiresAt = now + Math.max(request.ttl().toMillis(), request.lease().toMillis());
    try (PreparedStatement ps = insert.prepare(c)) {
      insert.setText(ps, "key", request.key());
      insert.setText(ps, "fingerprint", request.fingerprint());
      insert.setLong(ps, "lease_until", leaseUntil);
      insert.setLong(ps, "expires_at", expiresAt);
      insert.setLong(ps, "now", now);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        Instant at = Instant.ofEpochMilli(now);
        return new ClaimResult(
            ClaimStatus.CLAIMED,
            new IdempotencyRecord(
                request.key(),
                RecordState.IN_PROGRESS,
                request.fingerprint(),
                rs.getLong(1),
                1,
                Instant.ofEpochMilli(leaseUntil),
                Instant.ofEpochMilli(expiresAt),
                null,
                null,
                null,
                at,
                at));
      }
    }
  }

  /**
   * The claim of a key whose record was claimable when read (or gone since): the claim statement,
   * which takes the record over only if it still is claimable, else returns it.
   */
  private ClaimResult claimExisting(Connection c, ClaimRequest request) throws SQLException {
    Duration keep = request.ttl().compareTo(request.lease()) > 0 ? request.ttl() : request.lease();
    try (PreparedStatement ps = claim.prepare(c)) {
      for (int i = 0; i < MAX_CLAIM_TRIES; i++) {
        Instant now = now();
        claim.setText(ps, "key", request.key());
        claim.setText(ps, "fingerprint", request.fingerprint());
        claim.setLong(ps, "lease_until", now.plus(request.lease()).toEpochMilli());
        claim.setLong(ps, "expires_at", now.plus(keep).toEpochMilli());
        claim.setLong(ps, "now", now.toEpochMilli());
        claim.setInt(ps, "max_attempts", request.maxAttempts());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            continue; // inserted by another session after this statement's snapshot
          }
          IdempotencyRecord row = Rows.record(rs);
          if (rs.getBoolean(15)) {
            return new ClaimResult(ClaimStatus.CLAIMED, row);
          }
          ClaimResult seen = classify(row, request, now);
          if (seen != null) {
            return seen;
          }
        }
      }
    }
    throw new StoreUnavailableException(
        db.describe()
            + ": claim of key "
            + request.key()
            + " failed: the record kept changing under "
            + MAX_CLAIM_TRIES
            + " claim statements",
        null);
  }

  /**
   * What {@code row}, which the claim statement did not take, means for {@code request}; null when
   * {@link RecordTransitions#claim} finds it claimable (the statement saw an older version of it).
   */
  private static @Nullable ClaimResult classify(
      IdempotencyRecord row, ClaimRequest request, Instant now) {
    try {
      ClaimResult decided =
          RecordTransitions.claim(
              row,
              request,
              now,
              () -> {
                throw Claimable.INSTANCE;
              });
      return decided.claimed() ? null : decided;
    } catch (Claimable e) {
      return null;
    }
  }

  @Override
  public boolean complete(String key, long token, StoredResult result, Duration ttl) {
    Objects.requireNonNull(result, "result");
    Durations.requirePositive("ttl", ttl);
    if (hasNul(key)) {
      return false;
    }
    if (hasNul(result.type()) || hasNul(result.encoded())) {
      throw new IllegalArgumentException(
          "the result of key "
              + key
              + " contains U+0000, which PostgreSQL text cannot hold (type "
              + result.type()
              + ")");
    }
    long now = clock.millis();
    long expiresAt = now + ttl.toMillis();
    return db.run(
        "complete of key ",
        key,
        c -> {
          try (PreparedStatement ps = complete.prepare(c)) {
            complete.setLong(ps, "expires_at", expiresAt);
            complete.setText(ps, "result_type", result.type());
            complete.setText(ps, "result", result.encoded());
            complete.setLong(ps, "now", now);
            complete.setText(ps, "key", key);
            complete.setLong(ps, "token", token);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public boolean fail(
      String key, long token, @Nullable StoredError error, Duration retryAfter, Duration ttl) {
    Objects.requireNonNull(retryAfter, "retryAfter");
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative, but was " + retryAfter);
    }
    Durations.requirePositive("ttl", ttl);
    if (hasNul(key)) {
      return false;
    }
    Instant now = now();
    Duration keep = ttl.compareTo(retryAfter) > 0 ? ttl : retryAfter;
    return db.run(
        "fail of key ",
        key,
        c -> {
          try (PreparedStatement ps = fail.prepare(c)) {
            fail.setLong(ps, "expires_at", now.plus(keep).toEpochMilli());
            fail.setLong(ps, "retry_after", now.plus(retryAfter).toEpochMilli());
            fail.setText(ps, "error_type", error == null ? null : withoutNul(error.type()));
            fail.setText(ps, "error_message", error == null ? null : withoutNul(error.message()));
            fail.setLong(ps, "now", now.toEpochMilli());
            fail.setText(ps, "key", key);
            fail.setLong(ps, "token", token);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public boolean extend(String key, long token, Duration lease) {
    Durations.requirePositive("lease", lease);
    if (hasNul(key)) {
      return false;
    }
    Instant now = now();
    return db.run(
        "extend of key ",
        key,
        c -> {
          try (PreparedStatement ps = extend.prepare(c)) {
            extend.setLong(ps, "lease_until", now.plus(lease).toEpochMilli());
            extend.setLong(ps, "now", now.toEpochMilli());
            extend.setText(ps, "key", key);
            extend.setLong(ps, "token", token);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public Optional<IdempotencyRecord> get(String key) {
    if (hasNul(key)) {
      return Optional.empty();
    }
    Instant now = now();
    IdempotencyRecord r = db.run("get of key ", key, c -> select(c, key));
    return r == null || r.isExpiredAt(now) ? Optional.empty() : Optional.of(r);
  }

  private @Nullable IdempotencyRecord select(Connection c, String key) throws SQLException {
    try (PreparedStatement ps = select.prepare(c)) {
      select.setText(ps, "key", key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Rows.record(rs) : null;
      }
    }
  }

  @Override
  public boolean delete(String key) {
    if (hasNul(key)) {
      return false;
    }
    return db.run(
        "delete of key ",
        key,
        c -> {
          try (PreparedStatement ps = delete.prepare(c)) {
            delete.setText(ps, "key", key);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public int purgeExpired(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive, but was " + limit);
    }
    long now = now().toEpochMilli();
    return db.run(
        "purge of expired records",
        c -> {
          try (PreparedStatement ps = purge.prepare(c)) {
            purge.setLong(ps, "now", now);
            purge.setInt(ps, "limit", limit);
            return ps.executeUpdate();
          }
        });
  }

  /** Does nothing: the {@link DataSource} belongs to the caller, who closes it. */
  @Override
  public void close() {}

  @Override
  public String toString() {
    return "PostgresIdempotencyStore[" + db.describe() + "]";
  }

  private static boolean hasNul(@Nullable String s) {
    return s != null && s.indexOf(NUL) >= 0;
  }

  private static @Nullable String withoutNul(@Nullable String s) {
    return hasNul(s) ? s.replace(String.valueOf(NUL), REPLACEMENT) : s;
  }

  private static void requireNoNul(String name, String value) {
    if (hasNul(value)) {
      throw new IllegalArgumentException(
          name
              + " must not contain U+0000 (PostgreSQL text cannot hold it), but was \""
              + value.replace(String.valueOf(NUL), "\\u0000")
              + "\"");
    }
  }

  /** Thrown out of the token supplier when a row that was not claimed turns out claimable. */
  private static final class Claimable extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final Claimable INSTANCE = new Claimable();

    private Claimable() {
      super(null, null, false, false);
    }
  }

  /**
   * Builds a {@link PostgresIdempotencyStore}; the settings are {@link PostgresStoreBuilder}'s. Not
   * thread-safe.
   */
  public static final class Builder
      extends PostgresStoreBuilder<Builder, PostgresIdempotencyStore> {

    private Builder(DataSource dataSource) {
      super(dataSource);
    }

    @Override
    PostgresIdempotencyStore create(PostgresDatabase db) {
      return new PostgresIdempotencyStore(this, db);
    }
  }
}
