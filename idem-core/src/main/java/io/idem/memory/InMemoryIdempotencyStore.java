package io.idem.memory;

import io.idem.internal.CoarseClock;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.RecordState;
import io.idem.spi.RecordTransitions;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * An {@link IdempotencyStore} in a {@link ConcurrentHashMap}: for tests and single processes;
 * nothing survives the process.
 *
 * <p>Algorithm: each transition is one {@code compute} on the key's map entry, which runs {@link
 * RecordTransitions} on the current record atomically; tokens come from one {@link AtomicLong}.
 * Results are kept with their live objects, so a replay returns the very object the first call
 * returned: results should be immutable.
 *
 * <p>Thread-safe.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

  private final ConcurrentHashMap<String, IdempotencyRecord> records = new ConcurrentHashMap<>();
  private final AtomicLong tokens = new AtomicLong();
  private final Clock clock;

  private InMemoryIdempotencyStore(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * A store on the system clock, read at millisecond precision from a field one daemon thread
   * refreshes ({@code io.idem.internal.CoarseClock}), so that duplicates are answered without a
   * system call.
   */
  public static InMemoryIdempotencyStore create() {
    return new InMemoryIdempotencyStore(CoarseClock.SYSTEM_UTC);
  }

  /** A store on {@code clock}. */
  public static InMemoryIdempotencyStore create(Clock clock) {
    return new InMemoryIdempotencyStore(clock);
  }

  @Override
  public ClaimResult claim(ClaimRequest request) {
    Instant now = clock.instant();
    ClaimResult[] out = new ClaimResult[1];
    records.compute(
        request.key(),
        (k, existing) -> {
          ClaimResult r = RecordTransitions.claim(existing, request, now, tokens::incrementAndGet);
          out[0] = r;
          return r.claimed() ? r.record() : existing;
        });
    return out[0];
  }

  @Override
  public boolean complete(String key, long token, StoredResult result, Duration ttl) {
    Instant now = clock.instant();
    return apply(key, existing -> RecordTransitions.complete(existing, token, result, ttl, now));
  }

  @Override
  public boolean fail(
      String key, long token, @Nullable StoredError error, Duration retryAfter, Duration ttl) {
    Instant now = clock.instant();
    return apply(
        key, existing -> RecordTransitions.fail(existing, token, error, retryAfter, ttl, now));
  }

  @Override
  public boolean extend(String key, long token, Duration lease) {
    Instant now = clock.instant();
    return apply(key, existing -> RecordTransitions.extend(existing, token, lease, now));
  }

  private boolean apply(
      String key,
      java.util.function.Function<@Nullable IdempotencyRecord, @Nullable IdempotencyRecord> step) {
    boolean[] applied = new boolean[1];
    records.computeIfPresent(
        key,
        (k, existing) -> {
          IdempotencyRecord next = step.apply(existing);
          applied[0] = next != null;
          return next != null ? next : existing;
        });
    return applied[0];
  }

  @Override
  public Optional<IdempotencyRecord> get(String key) {
    IdempotencyRecord r = records.get(key);
    if (r == null) {
      return Optional.empty();
    }
    boolean expired =
        clock == CoarseClock.SYSTEM_UTC
            ? expiredAtMillis(r, clock.millis())
            : r.isExpiredAt(clock.instant());
    return expired ? Optional.empty() : Optional.of(r);
  }

  /** {@link IdempotencyRecord#isExpiredAt} at millisecond precision, without an Instant. */
  private static boolean expiredAtMillis(IdempotencyRecord r, long now) {
    if (now < r.expiresAt().toEpochMilli()) {
      return false;
    }
    Instant lease = r.leaseUntil();
    return r.state() != RecordState.IN_PROGRESS || (lease != null && now >= lease.toEpochMilli());
  }

  @Override
  public boolean delete(String key) {
    return records.remove(key) != null;
  }

  @Override
  public int purgeExpired(int limit) {
    Instant now = clock.instant();
    int purged = 0;
    for (Iterator<IdempotencyRecord> it = records.values().iterator();
        it.hasNext() && purged < limit; ) {
      IdempotencyRecord r = it.next();
      if (RecordTransitions.purgeable(r, now)
          && records.remove(r.key(), r)) { // only if not replaced meanwhile
        purged++;
      }
    }
    return purged;
  }

  /** True: a map read is cheaper than a compute on the key's bin. */
  @Override
  public boolean readBeforeClaim() {
    return true;
  }

  /** How many records are held, expired ones included. */
  public int size() {
    return records.size();
  }

  @Override
  public void close() {
    records.clear();
  }
}
