package io.idem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.spi.LockStore;
import io.idem.testkit.LockStoreContract;
import io.idem.testkit.SettableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lock contract of every store ({@link LockStoreContract}: not the leased one, since a session
 * lock has no lease expiry) against a real PostgreSQL, one fresh schema per test; the tests here
 * cover what replaces lease expiry: the lock is freed when its holder's session ends.
 */
class PostgresAdvisoryLockStoreTest extends LockStoreContract {

  private final List<HikariDataSource> pools = new ArrayList<>();
  private final List<LockStore> others = new ArrayList<>();
  private HikariDataSource pool;
  private String schema;

  @Override
  protected LockStore createStore(SettableClock clock) {
    schema = PostgresTests.server().createSchema("idem_advisory");
    pool = newPool();
    return PostgresAdvisoryLockStore.builder(pool).schema(schema).clock(clock).build();
  }

  private HikariDataSource newPool() {
    HikariDataSource p = PostgresTests.pool(20, Duration.ofSeconds(10));
    pools.add(p);
    return p;
  }

  /** Another store on the same schema, as another process would have, with a pool of its own. */
  private PostgresAdvisoryLockStore otherStore() {
    PostgresAdvisoryLockStore other =
        PostgresAdvisoryLockStore.builder(newPool())
            .schema(schema)
            .clock(clock)
            .applySchema(false)
            .build();
    others.add(other);
    return other;
  }

  @AfterEach
  void closeStoresThenPools() {
    others.forEach(LockStore::close);
    if (store != null) {
      store.close(); // before its pool: it gives the held connections back
    }
    pools.forEach(HikariDataSource::close);
  }

  private LockLease acquire(LockStore s, String name, String owner) {
    LockAttempt a = s.tryAcquire(name, owner, LEASE);
    assertThat(a.acquired()).as("acquired %s", name).isTrue();
    return a.lease();
  }

  /** The session ends (killed by an administrator, or its process crashed): the lock is free. */
  @Test
  void theLockIsFreedWhenItsHoldersConnectionDies() throws Exception {
    String name = newName();
    LockLease lease = acquire(store, name, "node-1");
    PostgresAdvisoryLockStore other = otherStore();
    assertThat(other.tryAcquire(name, "node-2", LEASE)).isEqualTo(new LockAttempt(false, lease));

    long key = PostgresAdvisoryLockStore.advisoryKey(schema, name);
    assertThat(
            PostgresTests.queryLong(
                pool,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory'"
                    + " AND granted AND objsubid = 1 AND classid = "
                    + (key >>> 32)
                    + " AND objid = "
                    + (key & 0xFFFF_FFFFL)))
        .isEqualTo(1);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> other.tryAcquire(name, "node-2", LEASE).acquired());
    LockLease taken = other.holder(name).orElseThrow();
    assertThat(taken.owner()).isEqualTo("node-2");
    assertThat(taken.token()).isGreaterThan(lease.token());
    assertThat(store.holder(name)).contains(taken);
    assertThat(store.extend(name, lease.token(), LEASE)).as("the dead holding").isFalse();
    assertThat(store.release(name, lease.token(), Duration.ZERO)).isFalse();
    assertThat(other.holder(name)).contains(taken);
  }

  /** Leases are not enforced: the lock stays taken after its lease, until released. */
  @Test
  void aLockIsNotFreedByItsLeasePassingOnlyByRelease() {
    String name = newName();
    LockLease lease = acquire(store, name, "node-1");
    PostgresAdvisoryLockStore other = otherStore();
    clock.advance(LEASE.multipliedBy(10));

    assertThat(other.tryAcquire(name, "node-2", LEASE).acquired()).isFalse();
    assertThat(other.holder(name)).contains(lease);
    assertThat(store.extend(name, lease.token(), LEASE)).isTrue();
    assertThat(other.holder(name).orElseThrow().leaseUntil())
        .isEqualTo(clock.instant().plus(LEASE));
    assertThat(store.release(name, lease.token(), Duration.ZERO)).isTrue();

    LockLease next = acquire(other, name, "node-2");
    assertThat(next.token()).isGreaterThan(lease.token());
  }

  @Test
  void onlyTheStoreThatAcquiredALockMayExtendOrReleaseIt() {
    String name = newName();
    LockLease lease = acquire(store, name, "node-1");
    PostgresAdvisoryLockStore other = otherStore();

    assertThat(other.extend(name, lease.token(), LEASE)).isFalse();
    assertThat(other.release(name, lease.token(), Duration.ZERO)).isFalse();
    assertThat(store.extend(name, lease.token() + 1, LEASE)).as("another token").isFalse();
    assertThat(store.holder(name)).contains(lease);
  }

  /** A lock-at-least time keeps the lock (and its connection) until it passes. */
  @Test
  void releaseWithAKeepTimeKeepsTheLockUntilItPassesThenFreesIt() {
    String name = newName();
    LockLease lease = acquire(store, name, "node-1");
    PostgresAdvisoryLockStore other = otherStore();

    assertThat(store.release(name, lease.token(), Duration.ofMillis(300))).isTrue();
    assertThat(other.holder(name).orElseThrow().leaseUntil())
        .isEqualTo(clock.instant().plusMillis(300));
    assertThat(other.tryAcquire(name, "node-2", LEASE).acquired()).isFalse();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> other.tryAcquire(name, "node-2", LEASE).acquired());
    assertThat(other.holder(name).orElseThrow().token()).isGreaterThan(lease.token());
    assertThat(store.release(name, lease.token(), Duration.ZERO)).as("already released").isFalse();
  }

  @Test
  void aReleaseWithoutKeepTimeEndsAPendingKeep() {
    String name = newName();
    LockLease lease = acquire(store, name, "node-1");

    assertThat(store.release(name, lease.token(), Duration.ofHours(1))).isTrue();
    assertThat(store.holder(name)).isPresent();
    assertThat(store.release(name, lease.token(), Duration.ZERO)).isTrue();

    assertThat(store.holder(name)).isEmpty();
    assertThat(otherStore().tryAcquire(name, "node-2", LEASE).acquired()).isTrue();
  }

  @Test
  void closeReleasesEveryLockTheStoreHoldsAndLaterTriesFail() {
    String a = newName();
    String b = newName();
    LockLease la = acquire(store, a, "node-1");
    LockLease lb = acquire(store, b, "node-1");
    store.release(b, lb.token(), Duration.ofHours(1));
    int active = pool.getHikariPoolMXBean().getActiveConnections();
    assertThat(active).isGreaterThanOrEqualTo(2);

    store.close();

    assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isEqualTo(active - 2);
    PostgresAdvisoryLockStore other = otherStore();
    assertThat(acquire(other, a, "node-2").token()).isGreaterThan(la.token());
    assertThat(acquire(other, b, "node-2").token()).isGreaterThan(lb.token());
    assertThatThrownBy(() -> store.tryAcquire(newName(), "node-1", LEASE))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void aRefusedTryGivesItsConnectionBackAndAHeldLockKeepsOne() {
    String name = newName();
    int before = pool.getHikariPoolMXBean().getActiveConnections();
    LockLease lease = acquire(store, name, "node-1");
    assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before + 1);

    for (int i = 0; i < 30; i++) {
      assertThat(store.tryAcquire(name, "node-1", LEASE).acquired()).isFalse();
    }
    assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before + 1);

    store.release(name, lease.token(), Duration.ZERO);
    assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before);
  }

  /** Two schemas are two sets of locks: the advisory key includes the schema. */
  @Test
  void locksOfTheSameNameInTwoSchemasAreIndependent() {
    String name = newName();
    acquire(store, name, "node-1");
    String otherSchema = PostgresTests.server().createSchema("idem_advisory2");
    PostgresAdvisoryLockStore other =
        PostgresAdvisoryLockStore.builder(newPool()).schema(otherSchema).clock(clock).build();
    others.add(other);

    assertThat(PostgresAdvisoryLockStore.advisoryKey(schema, name))
        .isNotEqualTo(PostgresAdvisoryLockStore.advisoryKey(otherSchema, name));
    assertThat(other.holder(name)).isEmpty();
    assertThat(acquire(other, name, "node-2").token()).isEqualTo(1);
  }

  @Test
  void theAdvisoryKeyIsTheFirstEightBytesOfTheSha256OfSchemaAndName() throws Exception {
    long expected =
        PostgresTests.queryLong(
            pool,
            "SELECT ('x' || substr(encode(sha256(convert_to('idem', 'UTF8') || '\\x00'::bytea"
                + " || convert_to('ロック-1', 'UTF8')), 'hex'), 1, 16))::bit(64)::bigint");
    assertThat(PostgresAdvisoryLockStore.advisoryKey("idem", "ロック-1")).isEqualTo(expected);
  }

  /**
   * Through a pool whose connections start in REPEATABLE READ, an acquisition whose snapshot
   * predates the previous holder's release fails with a serialization failure after its advisory
   * lock was granted: the lock is let go and the statement runs again.
   */
  @Test
  void contendingThroughARepeatableReadPoolNeverHasTwoHoldersAndNeverFails() throws Exception {
    HikariDataSource rr = PostgresTests.repeatableReadPool(12);
    pools.add(rr);
    PostgresAdvisoryLockStore s =
        PostgresAdvisoryLockStore.builder(rr)
            .schema(schema)
            .clock(clock)
            .applySchema(false)
            .build();
    others.add(s);
    assertThat(PostgresLockStoreTest.contend(s, 4, 150)).isPositive();
    assertThat(rr.getHikariPoolMXBean().getActiveConnections()).isZero();
  }

  @Test
  void toStringNamesTheServerAndSchema() {
    assertThat(store.toString())
        .contains(PostgresTests.server().hostPort())
        .contains("schema " + schema);
  }
}
