package io.idem.postgres;

import io.idem.job.Job;
import io.idem.job.JobState;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Reading {@code idem_jobs} rows, whose columns the statements of {@code jobs.sql} return in the
 * order id, type, queue, priority, args, state, attempt, max_attempts, token, run_at, expires_at,
 * timeout_ms, lease_until, worker_id, unique_key, unique_states, result, last_error, created_at,
 * updated_at, finished_at ({@value #COLUMNS} columns), sometimes after other columns. Stateless.
 */
final class JobRows {

  /** How many columns a job takes. */
  static final int COLUMNS = 21;

  private JobRows() {}

  /** The job in the current row of {@code rs}, from column 1. */
  static Job job(ResultSet rs) throws SQLException {
    return job(rs, 1);
  }

  /** The job in the current row of {@code rs}, whose first column is {@code first}. */
  static Job job(ResultSet rs, int first) throws SQLException {
    int c = first;
    String id = rs.getString(c++);
    String type = rs.getString(c++);
    String queue = rs.getString(c++);
    int priority = rs.getInt(c++);
    String args = rs.getString(c++);
    JobState state = JobState.ofCode(rs.getInt(c++));
    int attempt = rs.getInt(c++);
    int maxAttempts = rs.getInt(c++);
    long token = rs.getLong(c++);
    Instant runAt = Instant.ofEpochMilli(rs.getLong(c++));
    Instant expiresAt = instant(rs, c++);
    Long timeoutMillis = longOrNull(rs, c++);
    Instant leaseUntil = instant(rs, c++);
    String workerId = rs.getString(c++);
    String uniqueKey = rs.getString(c++);
    int uniqueStates = rs.getInt(c++);
    String result = rs.getString(c++);
    String lastError = rs.getString(c++);
    Instant createdAt = Instant.ofEpochMilli(rs.getLong(c++));
    Instant updatedAt = Instant.ofEpochMilli(rs.getLong(c++));
    Instant finishedAt = instant(rs, c);
    return new Job(
        id,
        type,
        queue,
        priority,
        args,
        state,
        attempt,
        maxAttempts,
        token,
        runAt,
        expiresAt,
        timeoutMillis == null ? null : Duration.ofMillis(timeoutMillis),
        leaseUntil,
        workerId,
        uniqueKey,
        JobState.ofMask(uniqueStates),
        result,
        lastError,
        createdAt,
        updatedAt,
        finishedAt);
  }

  private static @Nullable Instant instant(ResultSet rs, int column) throws SQLException {
    Long millis = longOrNull(rs, column);
    return millis == null ? null : Instant.ofEpochMilli(millis);
  }

  private static @Nullable Long longOrNull(ResultSet rs, int column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : v;
  }
}
