package io.idem.redis;

import io.idem.job.Job;
import io.idem.job.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A job as the fields of a Redis hash (see {@code job-lib.lua}): state as its {@link
 * JobState#code() code}, times as epoch milliseconds in decimal, the timeout as an ISO-8601
 * duration (exact to the nanosecond), the unique states as their mask, and absent fields for nulls;
 * plus {@code ord}, the id in the claim order's encoding. Stateless.
 */
final class JobFields {

  /**
   * The largest distance from the epoch, in milliseconds, of a time a job keeps: 2^52 ms (about
   * 142,000 years), within which the scripts' doubles are exact.
   */
  static final long MAX_ABS_MILLIS = 1L << 52;

  private JobFields() {}

  /**
   * The id as the scripts order it: each UTF-16 code unit as 4 lower-case hex digits, so that the
   * byte order of the text is {@link String#compareTo}'s order of the ids.
   */
  static String order(String id) {
    StringBuilder b = new StringBuilder(id.length() * 4);
    for (int i = 0; i < id.length(); i++) {
      String hex = Integer.toHexString(id.charAt(i));
      b.append("0000", hex.length(), 4).append(hex);
    }
    return b.toString();
  }

  /**
   * The epoch milliseconds of {@code t} (truncated to the millisecond), in decimal.
   *
   * @throws IllegalArgumentException when {@code t} is more than 2^52 ms from the epoch
   */
  static String millis(String what, Instant t) {
    long ms;
    try {
      ms = t.toEpochMilli();
    } catch (ArithmeticException e) {
      ms = Long.MAX_VALUE;
    }
    if (ms >= MAX_ABS_MILLIS || ms <= -MAX_ABS_MILLIS) {
      throw new IllegalArgumentException(
          what + " must be within 2^52 ms (about 142,000 years) of 1970, but was " + t);
    }
    return Long.toString(ms);
  }

  /** The job in the flat {@code field, value, ...} list {@code flat}. */
  static Job fromFlat(List<?> flat, String where) {
    return toJob(RecordFields.fromFlat(flat, 0), where);
  }

  /**
   * The job held in {@code fields}.
   *
   * @param where the Redis key, for the message when the fields are not a job
   * @throws IllegalStateException when the fields are not a job
   */
  static Job toJob(Map<String, String> fields, String where) {
    try {
      String uniqueKey = fields.get("unique_key");
      Set<JobState> uniqueStates =
          uniqueKey == null
              ? Set.of()
              : JobState.ofMask(Integer.parseInt(required(fields, "unique_mask")));
      String timeout = fields.get("timeout");
      return new Job(
          required(fields, "id"),
          required(fields, "type"),
          required(fields, "queue"),
          Integer.parseInt(required(fields, "priority")),
          required(fields, "args"),
          JobState.ofCode(Integer.parseInt(required(fields, "state"))),
          Integer.parseInt(required(fields, "attempt")),
          Integer.parseInt(required(fields, "max_attempts")),
          Long.parseLong(required(fields, "token")),
          instant(required(fields, "run_at")),
          instantOrNull(fields.get("expires_at")),
          timeout == null ? null : Duration.parse(timeout),
          instantOrNull(fields.get("lease_until")),
          fields.get("worker_id"),
          uniqueKey,
          uniqueStates,
          fields.get("result"),
          fields.get("last_error"),
          instant(required(fields, "created_at")),
          instant(required(fields, "updated_at")),
          instantOrNull(fields.get("finished_at")));
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "the hash at "
              + where
              + " is not a job (fields "
              + fields.keySet()
              + "): "
              + e.getMessage(),
          e);
    }
  }

  private static String required(Map<String, String> fields, String name) {
    String v = fields.get(name);
    if (v == null) {
      throw new IllegalArgumentException("field " + name + " is missing");
    }
    return v;
  }

  private static Instant instant(String millis) {
    return Instant.ofEpochMilli(Long.parseLong(millis));
  }

  private static @Nullable Instant instantOrNull(@Nullable String millis) {
    return millis == null ? null : instant(millis);
  }
}
