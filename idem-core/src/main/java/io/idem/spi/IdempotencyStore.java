package io.idem.spi;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where idempotency records live. Each method is one atomic step in the backend, with the semantics
 * of {@link RecordTransitions}; the contract suite {@code IdempotencyStoreContract} in idem-testkit
 * is the definition, and every store passes it.
 *
 * <p>Time comes from the {@link java.time.Clock} the store was built with. Implementations are
 * thread-safe. Backend failures are thrown as {@link io.idem.StoreUnavailableException}.
 */
public interface IdempotencyStore extends AutoCloseable {

  /** Claims {@code request.key()}, or reports what stands in the way. */
  ClaimResult claim(ClaimRequest request);

  /**
   * Completes the claim that holds {@code token}: the record becomes COMPLETED with {@code result}
   * until now + {@code ttl}.
   *
   * @return false, changing nothing, when {@code token} no longer holds the key
   */
  boolean complete(String key, long token, StoredResult result, Duration ttl);

  /**
   * Fails the claim that holds {@code token}: the record becomes FAILED with {@code error}; claims
   * get the cached failure for {@code retryAfter} (zero: the key is released at once), and the
   * record is kept for at least {@code ttl}.
   *
   * @return false, changing nothing, when {@code token} no longer holds the key
   */
  boolean fail(
      String key, long token, @Nullable StoredError error, Duration retryAfter, Duration ttl);

  /**
   * Extends the lease of the claim that holds {@code token} to now + {@code lease}.
   *
   * @return false, changing nothing, when {@code token} no longer holds the key
   */
  boolean extend(String key, long token, Duration lease);

  /** The record of {@code key}, or empty when there is none or it has expired. */
  Optional<IdempotencyRecord> get(String key);

  /** Deletes the record of {@code key} whatever its state; true when there was one. */
  boolean delete(String key);

  /**
   * Deletes up to {@code limit} expired records (COMPLETED and FAILED past their expiry, and
   * abandoned claims past both their lease and their expiry).
   *
   * @return how many were deleted
   */
  int purgeExpired(int limit);

  /**
   * Whether {@link io.idem.Idem} should read the record before claiming, so that duplicates are
   * answered by a read: true where a claim costs more than a read (the in-memory store: a read of
   * the map against a compute that locks the key's bin); false (the default) where the claim
   * answers with the record in the same step, so that a read first would only add one (PostgreSQL,
   * Redis, tiered; SQLite, whose claim of a completed key commits without writing, and where a
   * separate read costs fresh keys more than it saves duplicates). A store may also decide per call
   * (the Redis store reads first by itself while most recent claims were duplicates).
   */
  default boolean readBeforeClaim() {
    return false;
  }

  /** Releases the store's resources; the store is not used afterwards. */
  @Override
  void close();
}
