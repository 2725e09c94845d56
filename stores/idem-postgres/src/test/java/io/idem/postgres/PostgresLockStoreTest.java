package io.idem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.spi.LockStore;
import io.idem.spi.LockTransitions;
import io.idem.testkit.LeasedLockStoreContract;
import io.idem.testkit.SettableClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The whole lock contract against a real PostgreSQL, one fresh schema per test. */
class PostgresLockStoreTest extends LeasedLockStoreContract {

  private HikariDataSource pool;
  private String schema;

  @Override
  protected LockStore createStore(SettableClock clock) {
    schema = PostgresTests.server().createSchema("idem_locks");
    pool = PostgresTests.pool(20, Duration.ofSeconds(10));
    return PostgresLockStore.builder(pool).schema(schema).clock(clock).build();
  }

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  /**
   * Each statement gives the answer of {@link LockTransitions} for every kind of stored lock: none,
   * a row never held, and a holding whose lease ends before, at and after now; with the holder's
   * token and another one.
   */
  @Test
  void theStatementsAgreeWithLockTransitionsOnEveryKindOfStoredLock() throws Exception {
    Instant now = clock.instant();
    List<@Nullable Instant> kinds = new ArrayList<>();
    kinds.add(null); // no row
    kinds.add(Instant.MIN); // a row never held: token 0, no owner or times
    kinds.addAll(List.of(now.minusMillis(1), now, now.plusMillis(1)));
    int n = 0;
    for (Instant until : kinds) {
      for (int step = 0; step < 6; step++) {
        String name = "agree-" + n++;
        LockLease stored = null;
        if (until == Instant.MIN) {
          execute("INSERT INTO %s.idem_locks (name, token) VALUES ('" + name + "', 0)");
        } else if (until != null) {
          stored = new LockLease(name, "node-0", 41, now.minusSeconds(60), until);
          insert(stored);
        }
        LockLease before = row(name);
        String what = "step " + step + " on " + before + " (stored " + until + ")";
        switch (step) {
          case 0 -> {
            LockAttempt expected = LockTransitions.acquire(stored, name, "node-1", LEASE, now);
            LockAttempt actual = store.tryAcquire(name, "node-1", LEASE);
            assertThat(actual).as(what).isEqualTo(expected);
            assertThat(row(name))
                .as(what)
                .isEqualTo(expected.acquired() ? expected.lease() : before);
          }
          case 1, 2 -> {
            long token = step == 1 ? 41 : 40;
            LockLease expected = LockTransitions.extend(stored, token, LEASE, now);
            assertThat(store.extend(name, token, LEASE)).as(what).isEqualTo(expected != null);
            assertThat(row(name)).as(what).isEqualTo(expected != null ? expected : before);
          }
          default -> {
            long token = step == 5 ? 40 : 41;
            Duration keep = step == 3 ? Duration.ZERO : Duration.ofSeconds(10);
            LockLease expected = LockTransitions.release(stored, token, keep, now);
            assertThat(store.release(name, token, keep)).as(what).isEqualTo(expected != null);
            assertThat(row(name)).as(what).isEqualTo(expected != null ? expected : before);
          }
        }
        assertThat(store.holder(name))
            .as(what)
            .isEqualTo(
                java.util.Optional.ofNullable(row(name)).filter(l -> l.isHeldAt(clock.instant())));
      }
    }
  }

  @Test
  void aNameOrOwnerWithNulIsRefusedForAcquisitionAndNeverHeldOtherwise() {
    String name = newName();
    assertThatThrownBy(() -> store.tryAcquire(name + "\u0000", "node-1", LEASE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("name")
        .hasMessageContaining("U+0000");
    assertThatThrownBy(() -> store.tryAcquire(name, "node\u0000", LEASE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("owner");
    assertThat(store.extend(name + "\u0000", 1, LEASE)).isFalse();
    assertThat(store.release(name + "\u0000", 1, Duration.ZERO)).isFalse();
    assertThat(store.holder(name + "\u0000")).isEmpty();
  }

  @Test
  void badDurationsAreRefusedNamingTheValue() {
    assertThatThrownBy(() -> store.tryAcquire(newName(), "n", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lease must be positive, but was PT0S");
    assertThatThrownBy(() -> store.extend(newName(), 1, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT-1S");
    assertThatThrownBy(() -> store.release(newName(), 1, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keepFor must not be negative, but was PT-1S");
  }

  /**
   * A try that waits for another session's uncommitted first row of the lock: when that commits,
   * the statement finds the conflict, the lock held, and no row in its snapshot, so it runs again
   * and reports the other holder.
   */
  @Test
  void aTryBlockedByAConcurrentFirstAcquisitionReportsThatHolder() throws Exception {
    String name = newName();
    LockLease theirs =
        new LockLease(name, "node-9", 1, clock.instant(), clock.instant().plus(LEASE));
    assertReportsTheConcurrentHolder(theirs, null);
  }

  /**
   * A try whose snapshot saw a free lock that another session took meanwhile: the statement does
   * not take it (the newest row is held), its snapshot returns the old, free-looking row, so it
   * runs again and reports the new holder.
   */
  @Test
  void aTryThatSawAFreeLockBeforeAConcurrentTakeoverReportsTheNewHolder() throws Exception {
    String name = newName();
    LockLease old = store.tryAcquire(name, "node-1", LEASE).lease();
    clock.advance(LEASE);
    LockLease theirs =
        new LockLease(
            name, "node-9", old.token() + 1, clock.instant(), clock.instant().plus(LEASE));
    assertReportsTheConcurrentHolder(theirs, old);
  }

  private void assertReportsTheConcurrentHolder(LockLease theirs, @Nullable LockLease old)
      throws Exception {
    ExecutorService other = Executors.newSingleThreadExecutor();
    try (Connection a = pool.getConnection()) {
      a.setAutoCommit(false);
      if (old == null) {
        insertOn(a, theirs);
      } else {
        try (PreparedStatement ps =
            a.prepareStatement(
                "UPDATE \""
                    + schema
                    + "\".idem_locks SET owner = ?, token = ?, acquired_at = ?, lease_until = ?"
                    + " WHERE name = ?")) {
          ps.setString(1, theirs.owner());
          ps.setLong(2, theirs.token());
          ps.setLong(3, theirs.acquiredAt().toEpochMilli());
          ps.setLong(4, theirs.leaseUntil().toEpochMilli());
          ps.setString(5, theirs.name());
          assertThat(ps.executeUpdate()).isEqualTo(1);
        }
      }
      Future<LockAttempt> mine =
          other.submit(() -> store.tryAcquire(theirs.name(), "node-2", LEASE));
      await().atMost(Duration.ofSeconds(10)).until(() -> triesWaitingForALock() == 1);
      a.commit();

      LockAttempt r = mine.get(10, TimeUnit.SECONDS);

      assertThat(r.acquired()).isFalse();
      assertThat(r.lease()).isEqualTo(theirs);
    } finally {
      other.shutdownNow();
    }
  }

  /** Through a pool whose connections start in REPEATABLE READ, conflicts run again. */
  @Test
  void contendingThroughARepeatableReadPoolNeverHasTwoHoldersAndNeverFails() throws Exception {
    try (HikariDataSource rr = PostgresTests.repeatableReadPool(8)) {
      LockStore s =
          PostgresLockStore.builder(rr).schema(schema).clock(clock).applySchema(false).build();
      assertThat(contend(s, 4, 150)).isPositive();
    }
  }

  /**
   * {@code threads} threads each try {@code rounds} times to take one lock, release it at once when
   * they got it, and check that they were alone; returns the number of acquisitions.
   */
  static int contend(LockStore s, int threads, int rounds) throws Exception {
    String name = newName();
    AtomicInteger holders = new AtomicInteger();
    AtomicInteger acquisitions = new AtomicInteger();
    List<Long> tokens = java.util.Collections.synchronizedList(new ArrayList<>());
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String owner = "worker-" + t;
        workers.add(
            pool.submit(
                () -> {
                  start.await(10, TimeUnit.SECONDS);
                  for (int r = 0; r < rounds; r++) {
                    LockAttempt a = s.tryAcquire(name, owner, LEASE);
                    if (!a.acquired()) {
                      continue;
                    }
                    assertThat(holders.incrementAndGet()).isEqualTo(1);
                    tokens.add(a.lease().token());
                    acquisitions.incrementAndGet();
                    holders.decrementAndGet();
                    assertThat(s.release(name, a.lease().token(), Duration.ZERO)).isTrue();
                  }
                  return null;
                }));
      }
      for (Future<?> w : workers) {
        w.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(tokens).isSorted().doesNotHaveDuplicates();
    return acquisitions.get();
  }

  /**
   * A try on a held lock reads the holder: it neither rewrites nor locks the row (its version, xmin
   * and xmax stay as they were); a free lock whose row exists is taken by updating that row.
   */
  @Test
  void aTryOnAHeldLockLeavesTheRowUntouched() throws Exception {
    String name = newName();
    LockLease held = store.tryAcquire(name, "node-1", LEASE).lease();
    String before = rowVersion(name);

    LockAttempt refused = store.tryAcquire(name, "node-2", LEASE);

    assertThat(refused.acquired()).isFalse();
    assertThat(refused.lease()).isEqualTo(held);
    assertThat(rowVersion(name)).isEqualTo(before);
    assertThat(store.release(name, held.token(), Duration.ZERO)).isTrue();
    LockAttempt next = store.tryAcquire(name, "node-2", LEASE);
    assertThat(next.acquired()).isTrue();
    assertThat(next.lease().token()).isEqualTo(held.token() + 1);
    assertThat(row(name)).isEqualTo(next.lease());
  }

  private String rowVersion(String name) throws Exception {
    try (Connection c = pool.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT ctid::text || ' ' || xmin::text || ' ' || xmax::text FROM \""
                    + schema
                    + "\".idem_locks WHERE name = ?")) {
      ps.setString(1, name);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return rs.getString(1);
      }
    }
  }

  @Test
  void toStringNamesTheServerAndSchema() {
    assertThat(store.toString())
        .contains(PostgresTests.server().hostPort())
        .contains("schema " + schema);
  }

  private long triesWaitingForALock() throws Exception {
    return PostgresTests.queryLong(
        pool,
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            + " AND query LIKE '%\""
            + schema
            + "\".idem_locks AS l%'");
  }

  private void execute(String sql) throws Exception {
    PostgresTests.execute(pool, String.format(sql, "\"" + schema + "\""));
  }

  private void insert(LockLease l) throws Exception {
    try (Connection c = pool.getConnection()) {
      insertOn(c, l);
    }
  }

  private void insertOn(Connection c, LockLease l) throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO \""
                + schema
                + "\".idem_locks (name, owner, token, acquired_at, lease_until)"
                + " VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, l.name());
      ps.setString(2, l.owner());
      ps.setLong(3, l.token());
      ps.setLong(4, l.acquiredAt().toEpochMilli());
      ps.setLong(5, l.leaseUntil().toEpochMilli());
      ps.executeUpdate();
    }
  }

  private @Nullable LockLease row(String name) throws Exception {
    try (Connection c = pool.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT name, owner, token, acquired_at, lease_until FROM \""
                    + schema
                    + "\".idem_locks WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? LockRows.lease(rs) : null;
      }
    }
  }
}
