package io.idem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.idem.jdbc.Rows;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.ClaimStatus;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.RecordState;
import io.idem.spi.RecordTransitions;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import io.idem.testkit.IdempotencyStoreContract;
import io.idem.testkit.SettableClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The whole store contract against a real PostgreSQL, one fresh schema per test. */
class PostgresIdempotencyStoreTest extends IdempotencyStoreContract {

  private HikariDataSource pool;
  private String schema;

  @Override
  protected IdempotencyStore createStore(SettableClock clock) {
    schema = PostgresTests.server().createSchema("idem");
    pool = PostgresTests.pool(20, Duration.ofSeconds(10));
    return PostgresIdempotencyStore.builder(pool).schema(schema).clock(clock).build();
  }

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  @Test
  void aFailureMessageWithNulIsRecordedWithTheNulReplaced() {
    String key = newKey();
    long token = claimToken(key);

    assertThat(store.fail(key, token, new StoredError("E\u0000x", "bad\u0000byte"), TTL, TTL))
        .isTrue();

    assertThat(stored(key).error()).isEqualTo(new StoredError("E\uFFFDx", "bad\uFFFDbyte"));
  }

  @Test
  void aKeyWithNulIsRefusedForClaimsAndHasNoRecord() {
    String key = newKey() + "\u0000";

    assertThatThrownBy(() -> claim(key))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("U+0000");
    assertThat(store.get(key)).isEmpty();
    assertThat(store.delete(key)).isFalse();
    assertThat(store.complete(key, 1, result("x"), TTL)).isFalse();
  }

  @Test
  void aResultWithNulIsRefusedAndTheClaimStillHolds() {
    String key = newKey();
    long token = claimToken(key);

    assertThatThrownBy(
            () -> store.complete(key, token, new StoredResult("T", "a\u0000b", null), TTL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(key);
    assertThat(store.complete(key, token, result("ok"), TTL)).isTrue();
  }

  @Test
  void anExpiredRecordIsClaimedAfreshWithAnyPayloadAndAttemptOne() {
    String key = newKey();
    long token = claimToken(key);
    store.fail(key, token, new StoredError("E", "x"), Duration.ZERO, Duration.ofMinutes(1));
    clock.advance(Duration.ofMinutes(1));

    var r = store.claim(new ClaimRequest(key, OTHER_FP, LEASE, TTL, 1));

    assertThat(r.status()).isEqualTo(ClaimStatus.CLAIMED);
    assertThat(r.record().attempt()).isEqualTo(1);
    assertThat(r.record().createdAt()).isEqualTo(clock.instant());
  }

  @Test
  void theTokenSequenceIsSharedByAllKeysOfTheSchema() throws Exception {
    long a = claimToken(newKey());
    long b = claimToken(newKey());

    assertThat(b).isGreaterThan(a);
    assertThat(
            PostgresTests.queryLong(
                pool, "SELECT last_value FROM \"" + schema + "\".idem_token_seq"))
        .isGreaterThanOrEqualTo(b);
  }

  @Test
  void aClaimOfANewKeyReturnsTheRowItWrote() {
    String key = newKey();
    clock.advance(Duration.ofNanos(1_234_567)); // a clock off the millisecond

    ClaimResult r = store.claim(new ClaimRequest(key, FP, LEASE.plusNanos(999_999), TTL, 3));

    assertThat(r.status()).isEqualTo(ClaimStatus.CLAIMED);
    assertThat(r.record()).isEqualTo(stored(key));
    assertThat(r.record().attempt()).isEqualTo(1);
    assertThat(r.record().state()).isEqualTo(RecordState.IN_PROGRESS);
  }

  /**
   * A claim that does not claim (a duplicate of a completed key, a claim in progress, another
   * payload) reads the record: it neither rewrites nor locks the row (its version, xmin and xmax
   * stay as they were).
   */
  @Test
  void aClaimThatDoesNotClaimLeavesTheRowUntouched() throws Exception {
    String done = newKey();
    store.complete(done, claimToken(done), result("r"), TTL);
    String running = newKey();
    claimToken(running);
    for (String key : List.of(done, running)) {
      String before = rowVersion(key);

      assertThat(store.claim(request(key, FP)).claimed()).isFalse();
      assertThat(store.claim(request(key, OTHER_FP)).status()).isEqualTo(ClaimStatus.MISMATCH);

      assertThat(rowVersion(key)).as(key).isEqualTo(before);
    }
  }

  private String rowVersion(String key) throws Exception {
    try (Connection c = pool.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT ctid::text || ' ' || xmin::text || ' ' || xmax::text FROM \""
                    + schema
                    + "\".idem_records WHERE key = ?")) {
      ps.setString(1, key);
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

  /**
   * The one claim statement gives the answers of {@link RecordTransitions#claim} for every kind of
   * stored record: each state, lease and expiry before, at and after now, retry times, attempts
   * below and at the limit, the same and another payload, and a token above the sequence.
   */
  @Test
  void theClaimStatementAgreesWithRecordTransitionsOnEveryKindOfRecord() throws Exception {
    Instant now = clock.instant();
    List<Instant> around = List.of(now.minusMillis(1), now, now.plusMillis(1));
    List<IdempotencyRecord> rows = new ArrayList<>();
    int n = 0;
    for (RecordState state : RecordState.values()) {
      List<Instant> leases = state == RecordState.IN_PROGRESS ? around : nullList();
      List<Instant> retries = new ArrayList<>(nullList());
      if (state == RecordState.FAILED) {
        retries.addAll(around);
      }
      for (Instant lease : leases) {
        for (Instant retry : retries) {
          for (Instant expires : around) {
            for (int attempt = 1; attempt <= 3; attempt++) {
              for (String fp : List.of(FP, OTHER_FP)) {
                rows.add(
                    new IdempotencyRecord(
                        "agree:" + n++,
                        state,
                        fp,
                        attempt == 3 ? 1_000_000_000_000L : 5,
                        attempt,
                        lease,
                        expires,
                        retry,
                        state == RecordState.COMPLETED ? result("r") : null,
                        state == RecordState.FAILED ? new StoredError("E", "m") : null,
                        now.minusSeconds(60),
                        now.minusSeconds(30)));
              }
            }
          }
        }
      }
    }
    int claimed = 0;
    for (IdempotencyRecord row : rows) {
      for (int maxAttempts : new int[] {2, 3}) {
        String key = row.key() + ":" + maxAttempts;
        IdempotencyRecord copy = withKey(row, key);
        insert(copy);
        ClaimRequest request = new ClaimRequest(key, FP, LEASE, TTL, maxAttempts);

        ClaimResult actual = store.claim(request);

        ClaimResult expected =
            RecordTransitions.claim(copy, request, now, () -> actual.record().token());
        assertThat(actual)
            .as("claim of %s with maxAttempts %d", copy, maxAttempts)
            .isEqualTo(expected);
        if (actual.claimed()) {
          claimed++;
          assertThat(actual.record().token()).isGreaterThan(copy.token());
        } else {
          assertThat(store.get(key))
              .as("unchanged %s", copy)
              .isEqualTo(
                  copy.isExpiredAt(now) ? java.util.Optional.empty() : java.util.Optional.of(copy));
        }
      }
    }
    assertThat(claimed).isPositive().isLessThan(rows.size() * 2);
  }

  private static List<Instant> nullList() {
    List<Instant> list = new ArrayList<>();
    list.add(null);
    return list;
  }

  private static IdempotencyRecord withKey(IdempotencyRecord r, String key) {
    return new IdempotencyRecord(
        key,
        r.state(),
        r.fingerprint(),
        r.token(),
        r.attempt(),
        r.leaseUntil(),
        r.expiresAt(),
        r.retryAfter(),
        r.result(),
        r.error(),
        r.createdAt(),
        r.updatedAt());
  }

  private void insert(IdempotencyRecord r) throws Exception {
    try (Connection c = pool.getConnection()) {
      insertOn(c, r);
    }
  }

  /**
   * Racing takeovers of a claim whose lease is over, and racing re-claims of a released key with
   * different payloads: the statements that lose see, in their snapshot, a record that looked
   * claimable, and must run again to report the winner's claim.
   */
  @Test
  void concurrentTakeoversAndReclaimsHaveExactlyOneWinner() throws Exception {
    int threads = 12;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 10; round++) {
        String key = newKey();
        long first = claimToken(key);
        if (round % 2 == 0) {
          clock.advance(LEASE);
        } else {
          store.fail(key, first, null, Duration.ZERO, TTL);
        }
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<ClaimResult>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          String fp = round % 2 == 0 ? FP : "fp-" + t;
          results.add(
              pool.submit(
                  () -> {
                    start.await(10, TimeUnit.SECONDS);
                    return store.claim(request(key, fp));
                  }));
        }
        List<ClaimResult> winners = new ArrayList<>();
        for (Future<ClaimResult> f : results) {
          ClaimResult r = f.get(30, TimeUnit.SECONDS);
          if (r.claimed()) {
            winners.add(r);
          } else {
            assertThat(r.status()).isIn(ClaimStatus.IN_PROGRESS, ClaimStatus.MISMATCH);
            assertThat(r.record().attempt()).isEqualTo(2);
          }
        }
        assertThat(winners).as("round %d", round).hasSize(1);
        assertThat(winners.get(0).record().attempt()).isEqualTo(2);
        assertThat(winners.get(0).record().token()).isGreaterThan(first);
        assertThat(stored(key)).isEqualTo(winners.get(0).record());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A claim that waits for another session's uncommitted first insert of the key: when that
   * commits, the claim statement finds the conflict but its snapshot has no row to return, so it
   * runs again and reports the other session's claim.
   */
  @Test
  void aClaimBlockedByAConcurrentFirstInsertReportsThatClaim() throws Exception {
    String key = newKey();
    Instant now = clock.instant();
    IdempotencyRecord theirs = inProgress(key, 1_000_000, 1, now);
    ExecutorService other = Executors.newSingleThreadExecutor();
    try (Connection a = pool.getConnection()) {
      a.setAutoCommit(false);
      insertOn(a, theirs);
      Future<ClaimResult> mine = other.submit(() -> claim(key));
      await().atMost(Duration.ofSeconds(10)).until(() -> claimsWaitingForALock() == 1);
      a.commit();

      ClaimResult r = mine.get(10, TimeUnit.SECONDS);

      assertThat(r.status()).isEqualTo(ClaimStatus.IN_PROGRESS);
      assertThat(r.record()).isEqualTo(theirs);
    } finally {
      other.shutdownNow();
    }
  }

  /**
   * A claim whose snapshot saw a claimable record (lease over) that another session took over
   * meanwhile: the statement does not claim (the record it locks is leased), its snapshot returns
   * the old, claimable-looking record, so it runs again and reports the takeover.
   */
  @Test
  void aClaimThatSawARecordBeforeAConcurrentTakeoverReportsTheTakeover() throws Exception {
    String key = newKey();
    long first = claimToken(key);
    clock.advance(LEASE);
    Instant now = clock.instant();
    IdempotencyRecord takeover = inProgress(key, first + 1_000_000, 2, now);
    ExecutorService other = Executors.newSingleThreadExecutor();
    try (Connection a = pool.getConnection()) {
      a.setAutoCommit(false);
      try (PreparedStatement ps =
          a.prepareStatement(
              "UPDATE \""
                  + schema
                  + "\".idem_records SET token = ?, attempt = 2, lease_until = ?, expires_at = ?,"
                  + " updated_at = ? WHERE key = ?")) {
        ps.setLong(1, takeover.token());
        ps.setLong(2, takeover.leaseUntil().toEpochMilli());
        ps.setLong(3, takeover.expiresAt().toEpochMilli());
        ps.setLong(4, takeover.updatedAt().toEpochMilli());
        ps.setString(5, key);
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      Future<ClaimResult> mine = other.submit(() -> claim(key));
      await().atMost(Duration.ofSeconds(10)).until(() -> claimsWaitingForALock() == 1);
      a.commit();

      ClaimResult r = mine.get(10, TimeUnit.SECONDS);

      assertThat(r.status()).isEqualTo(ClaimStatus.IN_PROGRESS);
      assertThat(r.record().token()).isEqualTo(takeover.token());
      assertThat(r.record().attempt()).isEqualTo(2);
      assertThat(r.record().leaseUntil()).isEqualTo(takeover.leaseUntil());
    } finally {
      other.shutdownNow();
    }
  }

  private long claimsWaitingForALock() throws Exception {
    return PostgresTests.queryLong(
        pool,
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            + " AND query LIKE '%\""
            + schema
            + "\".idem_records AS r%'");
  }

  private IdempotencyRecord inProgress(String key, long token, int attempt, Instant now) {
    return new IdempotencyRecord(
        key,
        RecordState.IN_PROGRESS,
        FP,
        token,
        attempt,
        now.plus(LEASE),
        now.plus(TTL),
        null,
        null,
        null,
        now,
        now);
  }

  private void insertOn(Connection c, IdempotencyRecord r) throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO \""
                + schema
                + "\".idem_records ("
                + Rows.RECORD_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      Rows.bind(ps, r);
      ps.executeUpdate();
    }
  }
}
