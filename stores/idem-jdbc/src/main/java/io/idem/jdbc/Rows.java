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
    String resultType = rs.getString(9);
    String result = rs.getString(10);
    String errorType = rs.getString(11);
    return new IdempotencyRecord(
        rs.getString(1),
        RecordState.valueOf(rs.getString(2)),
        rs.getString(3),
        rs.getLong(4),
        rs.getInt(5),
        instant(rs, 6),
        Instant.ofEpochMilli(rs.getLong(7)),
        instant(rs, 8),
        resultType == null || result == null ? null : new StoredResult(resultType, result, null),
        errorType == null ? null : new StoredError(errorType, rs.getString(12)),
        Instant.ofEpochMilli(rs.getLong(13)),
        Instant.ofEpochMilli(rs.getLong(14)));
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
