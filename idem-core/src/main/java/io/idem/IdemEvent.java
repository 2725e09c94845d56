package io.idem;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Something that happened to a key, for metrics and logs.
 *
 * @param type what happened
 * @param key the key's value
 * @param namespace the key's namespace, a low-cardinality label for metrics
 * @param attempt the record's attempt number (0 when unknown)
 * @param token the fencing token concerned (0 when unknown)
 * @param at when it happened, by {@link Idem}'s clock
 * @param elapsed for EXECUTED and FAILED, how long the body ran; else null
 * @param detail for failures, the error; else null
 */
public record IdemEvent(
    Type type,
    String key,
    String namespace,
    int attempt,
    long token,
    Instant at,
    @Nullable Duration elapsed,
    @Nullable String detail) {

  /** The kinds of event. */
  public enum Type {
    /** The body ran and its result was recorded. */
    EXECUTED,
    /** A stored result was returned instead of running the body. */
    REPLAYED,
    /** The key was held by another caller (once per call, whether it then waited or not). */
    IN_PROGRESS_CONFLICT,
    /** The key was used with another payload. */
    PAYLOAD_MISMATCH,
    /** A claim was taken over, or a result could not be recorded because it was. */
    LEASE_LOST,
    /** The body threw. */
    FAILED,
    /** A cached failure was returned instead of running the body. */
    CACHED_FAILURE,
    /** The key had no attempts left. */
    ATTEMPTS_EXHAUSTED,
    /**
     * A part of a store became unreachable and the store goes on without it (the tiered store's
     * Redis cache); the key is the part's address, the namespace {@code "store"}.
     */
    STORE_DEGRADED,
    /** The part reported by {@link #STORE_DEGRADED} is used again. */
    STORE_RECOVERED
  }

  public IdemEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(at, "at");
  }
}
