package io.idem;

import io.idem.memory.InMemoryIdempotencyStore;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * An in-memory store that keeps results as text only, as SQL and Redis stores do, so that replays
 * go through the codec.
 */
final class TextOnlyStore implements IdempotencyStore {

  private final InMemoryIdempotencyStore delegate;

  TextOnlyStore(Clock clock) {
    this.delegate = InMemoryIdempotencyStore.create(clock);
  }

  @Override
  public ClaimResult claim(ClaimRequest request) {
    return delegate.claim(request);
  }

  @Override
  public boolean complete(String key, long token, StoredResult result, Duration ttl) {
    return delegate.complete(key, token, result.withoutValue(), ttl);
  }

  @Override
  public boolean fail(
      String key, long token, @Nullable StoredError error, Duration retryAfter, Duration ttl) {
    return delegate.fail(key, token, error, retryAfter, ttl);
  }

  @Override
  public boolean extend(String key, long token, Duration lease) {
    return delegate.extend(key, token, lease);
  }

  @Override
  public Optional<IdempotencyRecord> get(String key) {
    return delegate.get(key);
  }

  @Override
  public boolean delete(String key) {
    return delegate.delete(key);
  }

  @Override
  public int purgeExpired(int limit) {
    return delegate.purgeExpired(limit);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
