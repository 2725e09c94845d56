package io.idem.tiered;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.RecordState;
import io.idem.spi.StoredResult;
import java.time.Instant;

/** A COMPLETED record as the cache keeps it: JSON with short field names. */
record CachedRecord(
    @JsonProperty("k") String key,
    @JsonProperty("f") String fingerprint,
    @JsonProperty("t") long token,
    @JsonProperty("a") int attempt,
    @JsonProperty("e") long expiresAt,
    @JsonProperty("rt") String resultType,
    @JsonProperty("r") String result,
    @JsonProperty("c") long createdAt,
    @JsonProperty("u") long updatedAt) {

  static CachedRecord of(IdempotencyRecord r) {
    StoredResult result = r.result();
    if (r.state() != RecordState.COMPLETED || result == null) {
      throw new IllegalArgumentException("only completed records are cached, not " + r.state());
    }
    return new CachedRecord(
        r.key(),
        r.fingerprint(),
        r.token(),
        r.attempt(),
        r.expiresAt().toEpochMilli(),
        result.type(),
        result.encoded(),
        r.createdAt().toEpochMilli(),
        r.updatedAt().toEpochMilli());
  }

  IdempotencyRecord toRecord() {
    return new IdempotencyRecord(
        key,
        RecordState.COMPLETED,
        fingerprint,
        token,
        attempt,
        null,
        Instant.ofEpochMilli(expiresAt),
        null,
        new StoredResult(resultType, result, null),
        null,
        Instant.ofEpochMilli(createdAt),
        Instant.ofEpochMilli(updatedAt));
  }
}
