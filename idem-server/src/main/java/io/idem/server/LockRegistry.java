package io.idem.server;

import io.idem.spi.LockLease;
import io.idem.spi.LockStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The names of the locks one tenant acquired through the API, so that the server can list the locks
 * held ({@link LockStore} has no listing). Names whose lock is free are forgotten when the list is
 * read; at most {@value #MAX_NAMES} names are kept (beyond that, new names are held but not
 * listed). Locks acquired by other processes directly on the store are not listed. Thread-safe.
 */
public final class LockRegistry {

  /** The most names kept per tenant: 10,000. */
  public static final int MAX_NAMES = 10_000;

  /** A lock held now, as the list shows it. */
  public record HeldLock(
      String name,
      String owner,
      long token,
      Instant acquiredAt,
      Instant leaseUntil,
      Duration leaseLeft) {}

  private final LockStore store;
  private final Clock clock;
  // name -> stamp of its latest registration, so that a prune never forgets a fresh acquisition
  private final Map<String, Long> names = new ConcurrentHashMap<>();
  private final AtomicLong stamps = new AtomicLong();

  LockRegistry(LockStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** Remembers that {@code name} was acquired through the API. */
  void acquired(String name) {
    long stamp = stamps.incrementAndGet();
    names.put(name, stamp);
    if (names.size() > MAX_NAMES) {
      held(); // forget the free ones
      if (names.size() > MAX_NAMES) {
        names.remove(name, stamp);
      }
    }
  }

  /** How many names are remembered (held or not yet found free). */
  public int size() {
    return names.size();
  }

  /** The locks held now among those acquired through the API, by name. */
  public List<HeldLock> held() {
    List<HeldLock> out = new ArrayList<>();
    Instant now = clock.instant();
    for (Map.Entry<String, Long> e : List.copyOf(names.entrySet())) {
      Optional<LockLease> holder = store.holder(e.getKey());
      if (holder.isEmpty()) {
        names.remove(e.getKey(), e.getValue());
      } else {
        out.add(heldLock(holder.get(), now));
      }
    }
    out.sort(Comparator.comparing(HeldLock::name));
    return out;
  }

  static HeldLock heldLock(LockLease l, Instant now) {
    Duration left = Duration.between(now, l.leaseUntil());
    return new HeldLock(
        l.name(),
        l.owner(),
        l.token(),
        l.acquiredAt(),
        l.leaseUntil(),
        left.isNegative() ? Duration.ZERO : left);
  }
}
