package io.idem.sqlite;

import io.idem.internal.Durations;
import io.idem.jdbc.Rows;
import io.idem.jdbc.SqlStatements;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.RecordTransitions;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The {@link IdempotencyStore} of a {@link SqliteDatabase}: table {@code idem_records}, statements
 * in {@code io/idem/sqlite/idempotency.sql}. Times are the database clock's epoch milliseconds.
 *
 * <p>Algorithm:
 *
 * <ol>
 *   <li><b>claim</b> (also how duplicates are answered: {@link #readBeforeClaim()} is false,
 *       because a separate read costs fresh keys more than it saves, and a claim that finds a
 *       completed record commits without writing): one {@code BEGIN IMMEDIATE} transaction (it
 *       holds the file's write lock, so no other process or thread can interleave): {@code
 *       claim.select} reads the record and the token floor in one query; {@link
 *       RecordTransitions#claim} decides with {@code floor + 1} as the next token (so the new token
 *       is {@code max(floor + 1, record.token + 1)}); when it claims, {@code record.upsert}; {@code
 *       COMMIT}. A claim writes one row: the floor is not moved by claims.
 *   <li><b>complete</b>, <b>fail</b>, <b>extend</b>: one {@code UPDATE ... WHERE key = ? AND state
 *       = 'IN_PROGRESS' AND token = ?}; zero rows updated means the token no longer holds the key.
 *   <li><b>get</b>: {@code record.select}; an expired record reads as absent.
 *   <li><b>delete</b>: one transaction: {@code floor.raise.key} (the floor becomes at least the
 *       record's token, so the key's next token is greater), then {@code DELETE ... WHERE key = ?}.
 *   <li><b>purgeExpired</b>: one transaction: {@code floor.raise.expired}, then one {@code DELETE}
 *       of up to {@code limit} expired keys.
 * </ol>
 *
 * <p>Thread-safe.
 */
public final class SqliteIdempotencyStore implements IdempotencyStore {

  private static final SqlStatements SQL =
      SqlStatements.load(SqliteIdempotencyStore.class, "io/idem/sqlite/idempotency.sql");
  private static final String SELECT = SQL.get("record.select");
  private static final String CLAIM_SELECT = SQL.get("claim.select");
  private static final String FLOOR_KEY = SQL.get("floor.raise.key");
  private static final String FLOOR_EXPIRED = SQL.get("floor.raise.expired");
  private static final String UPSERT = SQL.get("record.upsert");
  private static final String COMPLETE = SQL.get("record.complete");
  private static final String FAIL = SQL.get("record.fail");
  private static final String EXTEND = SQL.get("record.extend");
  private static final String DELETE = SQL.get("record.delete");
  private static final String PURGE = SQL.get("record.purge");

  private final SqliteDatabase db;
  private final Clock clock;
  private final boolean ownsDatabase;

  SqliteIdempotencyStore(SqliteDatabase db, boolean ownsDatabase) {
    this.db = db;
    this.clock = db.clock();
    this.ownsDatabase = ownsDatabase;
  }

  /**
   * A store over its own database at {@code path}; closing the store closes the database.
   * Equivalent to {@code SqliteDatabase.builder(path).clock(clock).open().idempotencyStore()} with
   * the database closed by the store.
   */
  public static SqliteIdempotencyStore open(Path path, Clock clock) {
    return SqliteDatabase.owningStore(SqliteDatabase.builder(path).clock(clock).open());
  }

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  @Override
  public ClaimResult claim(ClaimRequest request) {
    Instant now = now();
    return db.inTransaction(
        "claim of key " + request.key(),
        d -> {
          PreparedStatement select = d.prepare(CLAIM_SELECT);
          select.setString(1, request.key());
          long floor;
          IdempotencyRecord existing;
          try (ResultSet rs = select.executeQuery()) {
            if (!rs.next()) {
              throw new SQLException("the token floor row of idem_sequences is missing");
            }
            floor = rs.getLong(1);
            existing = rs.getString(2) == null ? null : Rows.record(rs, 2);
          }
          ClaimResult decided = RecordTransitions.claim(existing, request, now, () -> floor + 1);
          if (!decided.claimed()) {
            return decided;
          }
          IdempotencyRecord record = Rows.atMillis(decided.record());
          PreparedStatement upsert = d.prepare(UPSERT);
          Rows.bind(upsert, record);
          upsert.executeUpdate();
          return new ClaimResult(decided.status(), record);
        });
  }

  @Override
  public boolean complete(String key, long token, StoredResult result, Duration ttl) {
    Durations.requirePositive("ttl", ttl);
    Instant now = now();
    return db.withConnection(
        "complete of key " + key,
        d -> {
          PreparedStatement ps = d.prepare(COMPLETE);
          ps.setLong(1, now.plus(ttl).toEpochMilli());
          ps.setString(2, result.type());
          ps.setString(3, result.encoded());
          ps.setLong(4, now.toEpochMilli());
          ps.setString(5, key);
          ps.setLong(6, token);
          return ps.executeUpdate() == 1;
        });
  }

  @Override
  public boolean fail(
      String key, long token, @Nullable StoredError error, Duration retryAfter, Duration ttl) {
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative, but was " + retryAfter);
    }
    Durations.requirePositive("ttl", ttl);
    Instant now = now();
    Duration keep = ttl.compareTo(retryAfter) > 0 ? ttl : retryAfter;
    return db.withConnection(
        "fail of key " + key,
        d -> {
          PreparedStatement ps = d.prepare(FAIL);
          ps.setLong(1, now.plus(keep).toEpochMilli());
          ps.setLong(2, now.plus(retryAfter).toEpochMilli());
          if (error == null) {
            ps.setNull(3, Types.VARCHAR);
            ps.setNull(4, Types.VARCHAR);
          } else {
            ps.setString(3, error.type());
            ps.setString(4, error.message());
          }
          ps.setLong(5, now.toEpochMilli());
          ps.setString(6, key);
          ps.setLong(7, token);
          return ps.executeUpdate() == 1;
        });
  }

  @Override
  public boolean extend(String key, long token, Duration lease) {
    Durations.requirePositive("lease", lease);
    Instant now = now();
    long leaseUntil = now.plus(lease).toEpochMilli();
    return db.withConnection(
        "extend of key " + key,
        d -> {
          PreparedStatement ps = d.prepare(EXTEND);
          ps.setLong(1, leaseUntil);
          ps.setLong(2, leaseUntil);
          ps.setLong(3, now.toEpochMilli());
          ps.setString(4, key);
          ps.setLong(5, token);
          return ps.executeUpdate() == 1;
        });
  }

  @Override
  public Optional<IdempotencyRecord> get(String key) {
    Instant now = now();
    IdempotencyRecord r = db.withConnection("get of key " + key, d -> select(d, key));
    return r == null || r.isExpiredAt(now) ? Optional.empty() : Optional.of(r);
  }

  @Override
  public boolean delete(String key) {
    return db.inTransaction(
        "delete of key " + key,
        d -> {
          PreparedStatement floor = d.prepare(FLOOR_KEY);
          floor.setString(1, key);
          floor.executeUpdate();
          PreparedStatement ps = d.prepare(DELETE);
          ps.setString(1, key);
          return ps.executeUpdate() == 1;
        });
  }

  @Override
  public int purgeExpired(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive, but was " + limit);
    }
    long now = now().toEpochMilli();
    return db.inTransaction(
        "purge of expired records",
        d -> {
          PreparedStatement floor = d.prepare(FLOOR_EXPIRED);
          floor.setLong(1, now);
          floor.setLong(2, now);
          floor.executeUpdate();
          PreparedStatement ps = d.prepare(PURGE);
          ps.setLong(1, now);
          ps.setLong(2, now);
          ps.setInt(3, limit);
          return ps.executeUpdate();
        });
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
    return "SqliteIdempotencyStore[" + db.path() + "]";
  }

  private static @Nullable IdempotencyRecord select(SqliteDatabase d, String key)
      throws SQLException {
    PreparedStatement ps = d.prepare(SELECT);
    ps.setString(1, key);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Rows.record(rs) : null;
    }
  }
}
