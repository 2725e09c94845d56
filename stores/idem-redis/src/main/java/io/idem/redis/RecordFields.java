package io.idem.redis;

import io.idem.spi.IdempotencyRecord;
import io.idem.spi.RecordState;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A record as the fields of a Redis hash: the names of the SQL columns, times as epoch milliseconds
 * in decimal, and absent fields for nulls. Stateless.
 */
final class RecordFields {

  static final String STATE = "state";
  static final String FINGERPRINT = "fingerprint";
  static final String TOKEN = "token";
  static final String ATTEMPT = "attempt";
  static final String LEASE_UNTIL = "lease_until";
  static final String EXPIRES_AT = "expires_at";
  static final String RETRY_AFTER = "retry_after";
  static final String RESULT_TYPE = "result_type";
  static final String RESULT = "result";
  static final String ERROR_TYPE = "error_type";
  static final String ERROR_MESSAGE = "error_message";
  static final String CREATED_AT = "created_at";
  static final String UPDATED_AT = "updated_at";

  /**
   * The fields in the order in which {@code claim.lua} returns a record's values ({@code HMGET}):
   * {@link #toRecord(String, List, String)} reads them by position.
   */
  static final List<String> ORDER =
      List.of(
          STATE,
          FINGERPRINT,
          TOKEN,
          ATTEMPT,
          LEASE_UNTIL,
          EXPIRES_AT,
          RETRY_AFTER,
          RESULT_TYPE,
          RESULT,
          ERROR_TYPE,
          ERROR_MESSAGE,
          CREATED_AT,
          UPDATED_AT);

  private RecordFields() {}

  /** The fields of a flat {@code field, value, ...} list, from {@code from} on. */
  static Map<String, String> fromFlat(List<?> flat, int from) {
    Map<String, String> fields = new HashMap<>();
    for (int i = from; i + 1 < flat.size(); i += 2) {
      fields.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
    }
    return fields;
  }

  /**
   * The record of {@code key} whose field values are {@code values} in the {@link #ORDER} of the
   * fields (null for an absent field), as {@code HMGET} gives them.
   *
   * @param where the Redis key, for the message when the values are not a record
   * @throws IllegalStateException when the values are not a record
   */
  static IdempotencyRecord toRecord(String key, List<?> values, String where) {
    try {
      StoredResult result = null;
      String resultType = text(values, 7);
      if (resultType != null) {
        String encoded = text(values, 8);
        result = new StoredResult(resultType, encoded == null ? "" : encoded, null);
      }
      StoredError error = null;
      String errorType = text(values, 9);
      if (errorType != null) {
        error = new StoredError(errorType, text(values, 10));
      }
      return new IdempotencyRecord(
          key,
          RecordState.valueOf(required(values, 0)),
          required(values, 1),
          Long.parseLong(required(values, 2)),
          Integer.parseInt(required(values, 3)),
          instant(text(values, 4)),
          Instant.ofEpochMilli(Long.parseLong(required(values, 5))),
          instant(text(values, 6)),
          result,
          error,
          Instant.ofEpochMilli(Long.parseLong(required(values, 11))),
          Instant.ofEpochMilli(Long.parseLong(required(values, 12))));
    } catch (RuntimeException e) {
      StringBuilder present = new StringBuilder();
      for (int i = 0; i < ORDER.size() && i < values.size(); i++) {
        if (values.get(i) != null) {
          present.append(present.length() == 0 ? "" : ", ").append(ORDER.get(i));
        }
      }
      throw new IllegalStateException(
          "the hash at "
              + where
              + " is not an idempotency record (fields ["
              + present
              + "]): "
              + e.getMessage(),
          e);
    }
  }

  private static @Nullable String text(List<?> values, int i) {
    Object v = values.get(i);
    return v == null ? null : v.toString();
  }

  private static String required(List<?> values, int i) {
    String v = text(values, i);
    if (v == null) {
      throw new IllegalArgumentException("field " + ORDER.get(i) + " is missing");
    }
    return v;
  }

  /**
   * The record of {@code key} held in {@code fields}.
   *
   * @param where the Redis key, for the message when the fields are not a record
   * @throws IllegalStateException when the fields are not a record
   */
  static IdempotencyRecord toRecord(String key, Map<String, String> fields, String where) {
    try {
      StoredResult result = null;
      String resultType = fields.get(RESULT_TYPE);
      if (resultType != null) {
        String encoded = fields.get(RESULT);
        result = new StoredResult(resultType, encoded == null ? "" : encoded, null);
      }
      StoredError error = null;
      String errorType = fields.get(ERROR_TYPE);
      if (errorType != null) {
        error = new StoredError(errorType, fields.get(ERROR_MESSAGE));
      }
      return new IdempotencyRecord(
          key,
          RecordState.valueOf(required(fields, STATE)),
          required(fields, FINGERPRINT),
          Long.parseLong(required(fields, TOKEN)),
          Integer.parseInt(required(fields, ATTEMPT)),
          instant(fields.get(LEASE_UNTIL)),
          Instant.ofEpochMilli(Long.parseLong(required(fields, EXPIRES_AT))),
          instant(fields.get(RETRY_AFTER)),
          result,
          error,
          Instant.ofEpochMilli(Long.parseLong(required(fields, CREATED_AT))),
          Instant.ofEpochMilli(Long.parseLong(required(fields, UPDATED_AT))));
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "the hash at "
              + where
              + " is not an idempotency record (fields "
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

  private static @Nullable Instant instant(@Nullable String millis) {
    return millis == null ? null : Instant.ofEpochMilli(Long.parseLong(millis));
  }
}
