package io.idem.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.spi.LockLease;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The contract of a {@link io.idem.spi.LockStore} whose locks expire by lease (every store but a
 * session-scoped advisory one): the whole {@link LockStoreContract}, plus lease expiry with a moved
 * clock, extension, a holder whose lease passed, a stale holder after a takeover, and release with
 * a lock-at-least time.
 */
public abstract class LeasedLockStoreContract extends LockStoreContract {

  @Test
  void aLockIsFreeOnceItsLeasePassesAndTheNextTokenIsGreater() {
    String name = newName();
    LockLease first = acquire(name, "node-1");
    clock.advance(LEASE.minusMillis(1));
    assertThat(store.tryAcquire(name, "node-2", LEASE).acquired()).isFalse();
    clock.advance(Duration.ofMillis(1));

    assertThat(store.holder(name)).isEmpty();
    LockLease second = acquire(name, "node-2");
    assertThat(second.token()).isGreaterThan(first.token());
  }

  @Test
  void extendPushesTheLease() {
    String name = newName();
    LockLease lease = acquire(name, "node-1");
    clock.advance(Duration.ofSeconds(20));

    assertThat(store.extend(name, lease.token(), LEASE)).isTrue();
    assertThat(store.holder(name).orElseThrow().leaseUntil())
        .isEqualTo(clock.instant().plus(LEASE));
    clock.advance(Duration.ofSeconds(20));
    assertThat(store.tryAcquire(name, "node-2", LEASE).acquired()).isFalse();
  }

  @Test
  void aStaleHoldersExtendAndReleaseAreRefusedAndChangeNothing() {
    String name = newName();
    LockLease stale = acquire(name, "node-1");
    clock.advance(LEASE);
    LockLease current = acquire(name, "node-2");

    assertThat(store.extend(name, stale.token(), LEASE)).isFalse();
    assertThat(store.release(name, stale.token(), Duration.ZERO)).isFalse();

    assertThat(store.holder(name)).contains(current);
  }

  @Test
  void aHolderWhoseLeasePassedCannotExtendIt() {
    String name = newName();
    LockLease lease = acquire(name, "node-1");
    clock.advance(LEASE);

    assertThat(store.extend(name, lease.token(), LEASE)).isFalse();
    assertThat(store.holder(name)).isEmpty();
  }

  @Test
  void releaseWithAKeepTimeHoldsTheLockUntilItPasses() {
    String name = newName();
    LockLease lease = acquire(name, "node-1");

    assertThat(store.release(name, lease.token(), Duration.ofSeconds(10))).isTrue();
    assertThat(store.holder(name).orElseThrow().leaseUntil())
        .isEqualTo(clock.instant().plusSeconds(10));
    clock.advance(Duration.ofSeconds(9));
    assertThat(store.tryAcquire(name, "node-2", LEASE).acquired()).isFalse();
    clock.advance(Duration.ofSeconds(1));
    assertThat(store.tryAcquire(name, "node-2", LEASE).acquired()).isTrue();
  }
}
