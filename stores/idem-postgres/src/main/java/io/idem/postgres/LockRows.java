package io.idem.postgres;

import io.idem.spi.LockLease;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Reading {@code idem_locks} rows, whose columns the statements of {@code locks.sql} return in the
 * order name, owner, token, acquired_at, lease_until. Stateless.
 */
final class LockRows {

  private LockRows() {}

  /**
   * The holding in the current row of {@code rs}; null for a row that was never held (no owner,
   * acquisition or lease time: PostgreSQL allows them, Idem does not write them).
   */
  static @Nullable LockLease lease(ResultSet rs) throws SQLException {
    String name = rs.getString(1);
    String owner = rs.getString(2);
    long token = rs.getLong(3);
    long acquiredAt = rs.getLong(4);
    boolean noAcquiredAt = rs.wasNull();
    long leaseUntil = rs.getLong(5);
    boolean noLeaseUntil = rs.wasNull();
    if (owner == null || noAcquiredAt || noLeaseUntil) {
      return null;
    }
    return new LockLease(
        name, owner, token, Instant.ofEpochMilli(acquiredAt), Instant.ofEpochMilli(leaseUntil));
  }
}
