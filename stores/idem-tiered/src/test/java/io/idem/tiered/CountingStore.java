package io.idem.tiered;

import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/** Counts the calls that reach the source of truth. */
final class CountingStore implements IdempotencyStore {
  final IdempotencyStore delegate;
  final AtomicInteger claims = new AtomicInteger();
  final AtomicInteger gets = new AtomicInteger();

  CountingStore(IdempotencyStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public ClaimResult claim(ClaimRequest request) {
    claims.incrementAndGet();
    return delegate.claim(request);
  }

  @Override
  public boolean complete(String key, long token, StoredResult result, Duration ttl) {
    return delegate.complete(key, token, result, ttl);
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
    gets.incrementAndGet();
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

  @Override
  public String toString() {
    return "counting " + delegate;
  }
}
