package io.idem.jdbc;

import io.idem.spi.IdempotencyRecord;
import io.idem.spi.RecordState;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Maps idempotency records to and from rows of {@code idem_records}, whose columns are, in order:
 * key, state, fingerprint, token, attempt, lease_until, expires_at, retry_after, result_type,
 * result, error_type, error_message, created_at, updated_at. Times are epoch milliseconds.
 */
public final class Rows {

  /** The columns of {@code idem_records} in the order this class reads and writes them. */
  public static final String RECORD_COLUMNS =
      "key, state, fingerprint, token, attempt, lease_until, expires_at, retry_after, "
          + "result_type, result, error_type, error_message, created_at, updated_at";

  private Rows() {}

  /** Reads the record at the current row of {@code rs} (columns as {@link #RECORD_COLUMNS}). */
  public static IdempotencyRecord record(ResultSet rs) throws SQLException {
    return record(rs, 1);
  }

  /** Reads the record whose columns (as {@link #RECORD_COLUMNS}) start at column {@code first}. */
  public static IdempotencyRecord record(ResultSet rs, int first) throws SQLException {
    int o = first - 1;
    String resultType = rs.getString(o + 9);
    String result = rs.getString(o + 10);
    String errorType = rs.getString(o + 11);
    return new IdempotencyRecord(
        rs.getString(o + 1),
        RecordState.valueOf(rs.getString(o + 2)),
        rs.getString(o + 3),
        rs.getLong(o + 4),
        rs.getInt(o + 5),
        instant(rs, o + 6),
        Instant.ofEpochMilli(rs.getLong(o + 7)),
        instant(rs, o + 8),
        resultType == null || result == null ? null : new StoredResult(resultType, result, null),
        errorType == null ? null : new StoredError(errorType, rs.getString(o + 12)),
        Instant.ofEpochMilli(rs.getLong(o + 13)),
        Instant.ofEpochMilli(rs.getLong(o + 14)));
  }

  /**
   * {@code r} as a row keeps it: every time at millisecond precision and no live result value, so
   * that what a store returns after a write equals what it reads back later.
   */
  public static IdempotencyRecord atMillis(IdempotencyRecord r) {
    StoredResult result = r.result();
    return new IdempotencyRecord(
        r.key(),
        r.state(),
        r.fingerprint(),
        r.token(),
        r.attempt(),
        millis(r.leaseUntil()),
        millis(r.expiresAt()),
        millis(r.retryAfter()),
        result == null ? null : result.withoutValue(),
        r.error(),
        millis(r.createdAt()),
        millis(r.updatedAt()));
  }

  private static @Nullable Instant millis(@Nullable Instant t) {
    return t == null ? null : Instant.ofEpochMilli(t.toEpochMilli());
  }

  /** Binds {@code r} to parameters 1..14 of {@code ps} (columns as {@link #RECORD_COLUMNS}). */
  public static void bind(PreparedStatement ps, IdempotencyRecord r) throws SQLException {
    ps.setString(1, r.key());
    ps.setString(2, r.state().name());
    ps.setString(3, r.fingerprint());
    ps.setLong(4, r.token());
    ps.setInt(5, r.attempt());
    setInstant(ps, 6, r.leaseUntil());
    ps.setLong(7, r.expiresAt().toEpochMilli());
    setInstant(ps, 8, r.retryAfter());
    StoredResult result = r.result();
    ps.setString(9, result == null ? null : result.type());
    ps.setString(10, result == null ? null : result.encoded());
    StoredError error = r.error();
    ps.setString(11, error == null ? null : error.type());
    ps.setString(12, error == null ? null : error.message());
    ps.setLong(13, r.createdAt().toEpochMilli());
    ps.setLong(14, r.updatedAt().toEpochMilli());
  }

  private static @Nullable Instant instant(ResultSet rs, int column) throws SQLException {
    long ms = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(ms);
  }

  private static void setInstant(PreparedStatement ps, int index, @Nullable Instant t)
      throws SQLException {
    if (t == null) {
      ps.setNull(index, Types.BIGINT);
    } else {
      ps.setLong(index, t.toEpochMilli());
    }
  }
}
