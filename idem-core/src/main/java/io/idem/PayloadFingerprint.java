package io.idem;

import io.idem.internal.CanonicalJson;
import io.idem.internal.Hashing;
import org.jspecify.annotations.Nullable;

/**
 * The fingerprint stored with a record and compared on every claim: the hex SHA-256 of the
 * payload's canonical JSON (the same rules as {@link IdempotencyKey#of(String, Scope, Object)}), so
 * logically equal payloads match and any other payload is refused as a mismatch.
 */
public final class PayloadFingerprint {

  /** The fingerprint of a call made without a payload (of JSON {@code null}). */
  public static final String NONE = Hashing.sha256Hex(CanonicalJson.toBytes(null));

  private PayloadFingerprint() {}

  /** The fingerprint of {@code payload}; {@link #NONE} for null. */
  public static String of(@Nullable Object payload) {
    return payload == null ? NONE : Hashing.sha256Hex(CanonicalJson.toBytes(payload));
  }
}
