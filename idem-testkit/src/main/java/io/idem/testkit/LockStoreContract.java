package io.idem.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.spi.LockStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of every {@link LockStore}, leased or held by a session: each lock store's test
 * extends this class (or {@link LeasedLockStoreContract}, for stores whose locks expire by lease,
 * which adds lease expiry, extension and lock-at-least) and says how to build the store. It covers
 * acquisition, refusal with the holder, release and fencing (extend and release only with the
 * current token; tokens grow across holders and releases), and a fuzz: many threads contend for a
 * few locks, each holder marks the lock as its own for its whole critical section, and no holder
 * ever finds another's mark.
 */
public abstract class LockStoreContract {

  protected static final Duration LEASE = Duration.ofSeconds(30);

  protected SettableClock clock;
  protected LockStore store;

  /** A new, empty store on {@code clock}; closed after each test. */
  protected abstract LockStore createStore(SettableClock clock) throws Exception;

  @BeforeEach
  void setUpStore() throws Exception {
    clock = SettableClock.create();
    store = createStore(clock);
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  protected static String newName() {
    return "lock-" + UUID.randomUUID();
  }

  /** Acquires {@code name} for {@code owner} with {@link #LEASE}, asserting that it was. */
  protected LockLease acquire(String name, String owner) {
    LockAttempt a = store.tryAcquire(name, owner, LEASE);
    assertThat(a.acquired()).as("acquired %s", name).isTrue();
    return a.lease();
  }

  @Test
  void aFreeLockIsAcquiredWithATokenAndALease() {
    String name = newName();
    LockAttempt a = store.tryAcquire(name, "node-1", LEASE);

    assertThat(a.acquired()).isTrue();
    assertThat(a.lease().name()).isEqualTo(name);
    assertThat(a.lease().owner()).isEqualTo("node-1");
    assertThat(a.lease().token()).isPositive();
    assertThat(a.lease().acquiredAt()).isEqualTo(clock.instant());
    assertThat(a.lease().leaseUntil()).isEqualTo(clock.instant().plus(LEASE));
    assertThat(store.holder(name)).contains(a.lease());
  }

  @Test
  void aHeldLockIsRefusedWithItsHolderAndNothingChanges() {
    String name = newName();
    LockLease first = acquire(name, "node-1");

    LockAttempt other = store.tryAcquire(name, "node-2", LEASE);
    LockAttempt same = store.tryAcquire(name, "node-1", LEASE);

    assertThat(other.acquired()).isFalse();
    assertThat(other.lease()).isEqualTo(first);
    assertThat(same.acquired()).as("locks are not reentrant").isFalse();
    assertThat(store.holder(name)).contains(first);
  }

  @Test
  void releaseFreesTheLockAtOnceAndTokensKeepGrowing() {
    String name = newName();
    long previous = 0;
    for (int i = 0; i < 5; i++) {
      LockLease lease = acquire(name, "node-" + i);
      assertThat(lease.token()).isGreaterThan(previous);
      previous = lease.token();
      assertThat(store.release(name, lease.token(), Duration.ZERO)).isTrue();
      assertThat(store.holder(name)).isEmpty();
      assertThat(store.release(name, lease.token(), Duration.ZERO)).as("twice").isFalse();
    }
  }

  @Test
  void extendAndReleaseOfANeverHeldLockAreRefused() {
    String name = newName();
    assertThat(store.extend(name, 1, LEASE)).isFalse();
    assertThat(store.release(name, 1, Duration.ZERO)).isFalse();
    assertThat(store.holder(name)).isEmpty();
  }

  @Test
  void locksAreIndependentAndNamesMayBeUnicodeOrLong() {
    String a = "ロック-" + UUID.randomUUID();
    String b = "l".repeat(500) + UUID.randomUUID().toString().substring(0, 12);
    LockLease la = acquire(a, "ñode-1");
    LockLease lb = acquire(b, "node-2");

    assertThat(store.holder(a)).contains(la);
    assertThat(store.holder(b)).contains(lb);
    assertThat(store.release(a, la.token(), Duration.ZERO)).isTrue();
    assertThat(store.holder(b)).contains(lb);
  }

  /**
   * Eight threads contend for three locks. A holder marks itself as the lock's holder (a
   * compare-and-set from nobody) as soon as its acquisition returns, parks a little, and unmarks
   * itself just before it sends the release: a second holder at any moment of that critical section
   * finds the mark taken, or the first finds its mark gone. Refused attempts show that the threads
   * did contend, so that the absence of overlaps says something.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void fuzzManyThreadsContendingForAFewLocksNeverHaveTwoHolders() throws Exception {
    int threads = 8;
    int locks = 3;
    int rounds = 300;
    String run = UUID.randomUUID().toString();
    List<AtomicReference<String>> holders = new ArrayList<>();
    List<List<Long>> tokens = new ArrayList<>();
    for (int i = 0; i < locks; i++) {
      holders.add(new AtomicReference<>());
      tokens.add(new ArrayList<>());
    }
    List<String> overlaps = new CopyOnWriteArrayList<>();
    AtomicInteger acquisitions = new AtomicInteger();
    AtomicInteger refusals = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CyclicBarrier start = new CyclicBarrier(threads);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String owner = "worker-" + t;
        workers.add(
            pool.submit(
                () -> {
                  start.await(30, TimeUnit.SECONDS);
                  for (int r = 0; r < rounds; r++) {
                    int i = r % locks;
                    String name = "fuzz-" + run + "-" + i;
                    LockAttempt a = store.tryAcquire(name, owner, LEASE);
                    if (!a.acquired()) {
                      refusals.incrementAndGet();
                      continue;
                    }
                    AtomicReference<String> holder = holders.get(i);
                    if (!holder.compareAndSet(null, owner)) {
                      overlaps.add(owner + " acquired " + name + " held by " + holder.get());
                    }
                    synchronized (tokens.get(i)) {
                      tokens.get(i).add(a.lease().token());
                    }
                    acquisitions.incrementAndGet();
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
                    if (!holder.compareAndSet(owner, null)) {
                      overlaps.add(owner + " held " + name + " with " + holder.get());
                    }
                    if (!store.release(name, a.lease().token(), Duration.ZERO)) {
                      overlaps.add(owner + " could not release " + name);
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> w : workers) {
        w.get(110, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(overlaps).isEmpty();
    assertThat(refusals.get())
        .as("attempts refused while another thread held the lock")
        .isPositive();
    assertThat(acquisitions.get()).isPositive();
    for (List<Long> perLock : tokens) {
      assertThat(perLock).as("tokens in acquisition order").isSorted().doesNotHaveDuplicates();
    }
  }
}
