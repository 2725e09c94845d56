package io.idem.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.job.ConflictPolicy;
import io.idem.job.EnqueueOutcome;
import io.idem.job.EnqueueResult;
import io.idem.job.Job;
import io.idem.job.JobPage;
import io.idem.job.JobQuery;
import io.idem.job.JobState;
import io.idem.spi.JobClaim;
import io.idem.spi.JobTransitions;
import io.idem.spi.NewJob;
import io.idem.testkit.SettableClock;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the job contract does not pin down about {@link RedisJobStore}: keys, scripts, limits. */
class RedisJobStoreDetailsTest {

  private static final Duration LEASE = Duration.ofSeconds(30);

  private final List<String> prefixes = new ArrayList<>();
  private final List<RedisJobStore> stores = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    stores.forEach(RedisJobStore::close);
    prefixes.forEach(RedisTesting::deleteKeysOf);
  }

  private RedisJobStore open(SettableClock clock) {
    return open(clock, RedisJobStore.LIST_MAX_SCAN);
  }

  private RedisJobStore open(SettableClock clock, int listMaxScan) {
    String prefix = RedisTesting.uniquePrefix("jobx");
    prefixes.add(prefix);
    RedisJobStore store =
        RedisJobStore.builder(RedisTesting.client(), RedisTesting.uri())
            .prefix(prefix)
            .clock(clock)
            .listMaxScan(listMaxScan)
            .build();
    stores.add(store);
    return store;
  }

  private static NewJob job(String id, String type, int priority, @Nullable Instant runAt) {
    return new NewJob(
        id, type, "q", priority, "{}", runAt, null, null, 3, null, Set.of(), ConflictPolicy.REJECT);
  }

  private static JobClaim claimAll() {
    return new JobClaim(List.of("q"), Set.of(), "w", LEASE, 1000);
  }

  // ---- claim order --------------------------------------------------------------------------

  @Test
  void claimOrderCoversTheWholeIntRangeOfPrioritiesAndJavasOrderOfIds() {
    SettableClock clock = SettableClock.create();
    RedisJobStore store = open(clock);
    Instant now = clock.instant();
    // UTF-16 order (Java's): "\uD83D\uDE80" < "\uE000" < "\uFFFF"; UTF-8 bytes order them
    // "\uE000" < "\uFFFF" < "\uD83D\uDE80"
    List<NewJob> jobs =
        List.of(
            job("min", "t", Integer.MIN_VALUE, null),
            job("max", "t", Integer.MAX_VALUE, null),
            job("\uE000", "t", 0, null),
            job("\uD83D\uDE80", "t", 0, null),
            job("\uFFFF", "t", 0, null),
            job("a", "t", 0, now.minusMillis(1)),
            job("ab", "t", 0, null),
            job("minus-one", "t", -1, null),
            job("one", "t", 1, now.plusSeconds(1)));
    List<NewJob> shuffled = new ArrayList<>(jobs);
    Collections.shuffle(shuffled, new java.util.Random(7));
    shuffled.forEach(store::enqueue);
    clock.advance(Duration.ofSeconds(1));

    List<String> claimed = store.claim(claimAll()).stream().map(Job::id).toList();

    assertThat(claimed)
        .containsExactly(
            "max", "one", "a", "ab", "\uD83D\uDE80", "\uE000", "\uFFFF", "minus-one", "min");
  }

  @Test
  void aClaimMergesQueuesAndTypesIntoOneOrderAndLeavesOtherTypes() {
    SettableClock clock = SettableClock.create();
    RedisJobStore store = open(clock);
    for (int i = 0; i < 30; i++) {
      NewJob n = job("j" + i, "t" + (i % 3), i % 7, null);
      store.enqueue(
          new NewJob(
              n.id(),
              n.type(),
              i % 2 == 0 ? "q" : "r",
              n.priority(),
              n.args(),
              null,
              null,
              null,
              3,
              null,
              Set.of(),
              ConflictPolicy.REJECT));
      clock.advance(Duration.ofMillis(1));
    }
    List<Job> both =
        store.claim(new JobClaim(List.of("r", "q"), Set.of("t0", "t2"), "w", LEASE, 7));
    assertThat(both).hasSize(7).allSatisfy(j -> assertThat(j.type()).isIn("t0", "t2"));
    List<Job> sorted = new ArrayList<>(both);
    sorted.sort(JobTransitions.CLAIM_ORDER);
    assertThat(both).isEqualTo(sorted);
    assertThat(store.claim(new JobClaim(List.of("q", "r"), Set.of(), "w", LEASE, 1000)))
        .hasSize(23);
  }

  // ---- keys and scripts ---------------------------------------------------------------------

  @Test
  void everyKeyOfAStoreIsInOneClusterSlot() {
    SettableClock clock = SettableClock.create();
    RedisJobStore store = open(clock);
    String prefix = prefixes.get(0);
    for (int i = 0; i < 20; i++) {
      String key = i % 2 == 0 ? "key{" + i + "}" : "ключ " + i;
      store.enqueue(
          new NewJob(
              "id-" + i + "-{x}",
              "type}" + (i % 3),
              "queue{" + (i % 2),
              i,
              "{}",
              i % 3 == 0 ? clock.instant().plusSeconds(5) : null,
              clock.instant().plusSeconds(60),
              null,
              2,
              key,
              Set.of(JobState.SUCCEEDED),
              ConflictPolicy.REJECT));
    }
    store.claim(new JobClaim(List.of("queue{0", "queue{1"), Set.of(), "w", LEASE, 3));
    store.enqueue(job("dup", "t", 0, null));
    store.enqueue(job("dup", "t", 0, null));
    store.maintain();

    List<String> keys = RedisTesting.keysOf(prefix);
    assertThat(keys).hasSizeGreaterThan(40);
    Set<Integer> slots = new HashSet<>();
    for (String k : keys) {
      slots.add(SlotHash.getSlot(k));
    }
    assertThat(slots).containsExactly(SlotHash.getSlot("{" + prefix + ":jobs}"));
  }

  @Test
  void everyStepStillWorksAfterScriptFlushBecauseNoscriptFallsBackToEval() {
    SettableClock clock = SettableClock.create();
    RedisJobStore store = open(clock);
    Job j = store.enqueue(job("a", "t", 0, null)).job();
    RedisTesting.admin().scriptFlush();

    Job running = store.claim(claimAll()).get(0);
    assertThat(store.heartbeat(j.id(), running.token(), LEASE)).isTrue();
    assertThat(store.release(j.id(), running.token())).isPresent();
    running = store.claim(claimAll()).get(0);
    assertThat(store.fail(j.id(), running.token(), "x", null)).isPresent();
    assertThat(store.retry(j.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
    running = store.claim(claimAll()).get(0);
    assertThat(store.complete(j.id(), running.token(), "1")).isPresent();
    store.enqueue(job("b", "t", 0, null));
    assertThat(store.cancel("b").orElseThrow().state()).isEqualTo(JobState.CANCELLED);
    assertThat(store.enqueueAll(List.of(job("c", "t", 0, null)))).hasSize(1);
    assertThat(store.maintain()).isNotNull();
    assertThat(store.list(JobQuery.all()).jobs()).hasSize(3);
    assertThat(store.stats().count(JobState.SUCCEEDED)).isEqualTo(1);
    clock.advance(Duration.ofSeconds(1));
    assertThat(store.purge(clock.instant())).isEqualTo(2);

    for (RedisScript script : RedisScript.JOB_STEPS) {
      assertThat(RedisTesting.admin().scriptExists(script.sha()))
          .as(script.resource())
          .containsExactly(true);
    }
  }

  // ---- values the scripts compute ------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "2026-01-01T00:00:00Z",
        "2026-03-01T12:34:56.789Z",
        "2024-02-29T23:59:59.999Z",
        "1969-12-31T23:59:59.001Z",
        "1900-02-28T00:00:00.010Z",
        "0000-03-01T00:00:00Z",
        "-0001-12-31T23:59:59.999Z",
        "+10000-01-01T00:00:00Z",
        "+140000-07-04T01:02:03.400Z"
      })
  void theLeaseExpiredErrorIsTheOneOfJobTransitions(String leaseEnd) {
    Instant leaseUntil = Instant.parse(leaseEnd);
    SettableClock clock = SettableClock.at(leaseUntil.minus(LEASE));
    RedisJobStore store = open(clock);
    store.enqueue(job("j", "t", 0, null));
    Job running = store.claim(claimAll()).get(0);
    assertThat(running.leaseUntil()).isEqualTo(leaseUntil);
    clock.advance(LEASE);

    assertThat(store.maintain().recovered()).isEqualTo(1);

    assertThat(store.get("j").orElseThrow().lastError())
        .isEqualTo(JobTransitions.leaseExpiredError(running))
        .contains(leaseUntil.toString());
  }

  @Test
  void timesAreKeptToTheMillisecondWithin2To52MillisecondsOf1970() {
    SettableClock clock = SettableClock.create();
    RedisJobStore store = open(clock);
    Instant fine = clock.instant().plusNanos(1_500_000);
    Job j = store.enqueue(job("a", "t", 0, fine)).job();
    assertThat(j.runAt()).isEqualTo(clock.instant().plusMillis(1));

    assertThatThrownBy(() -> store.enqueue(job("b", "t", 0, Instant.MAX)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("runAt");
    assertThatThrownBy(() -> store.enqueue(job("c", "t", 0, Instant.ofEpochMilli(1L << 52))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.get("b")).isEmpty();
  }

  @Test
  void aPurgeCutoffInsideAMillisecondCountsThatMillisecondAsBefore() {
    SettableClock clock = SettableClock.create();
    RedisJobStore store = open(clock);
    store.enqueue(job("a", "t", 0, null));
    store.cancel("a");
    assertThat(store.purge(clock.instant())).isZero();
    assertThat(store.purge(clock.instant().plusNanos(1))).isEqualTo(1);
  }

  // ---- sizes --------------------------------------------------------------------------------

  @Test
  void aBatchIsSplitIntoScriptCallsAndKeepsItsOrder() {
    SettableClock clock = SettableClock.create();
    RedisJobStore store = open(clock);
    String big = "x".repeat(700_000);
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      String args = i % 100 == 5 ? big : "{}";
      String key = "k" + (i % 120);
      batch.add(
          new NewJob(
              "b" + i,
              "t",
              "q",
              0,
              args,
              null,
              null,
              null,
              1,
              key,
              Set.of(),
              ConflictPolicy.REJECT));
    }

    List<EnqueueResult> rs = store.enqueueAll(batch);

    assertThat(rs).hasSize(250);
    for (int i = 0; i < 250; i++) {
      EnqueueResult r = rs.get(i);
      if (i < 120) {
        assertThat(r.outcome()).as("job %d", i).isEqualTo(EnqueueOutcome.ENQUEUED);
        assertThat(r.job().id()).isEqualTo("b" + i);
      } else {
        assertThat(r.outcome()).as("job %d", i).isEqualTo(EnqueueOutcome.REJECTED);
        assertThat(r.job().id()).isEqualTo("b" + (i % 120));
      }
    }
    assertThat(store.get("b5").orElseThrow().args()).isEqualTo(big);
    assertThat(store.stats().duplicatesPreventedTotal()).isEqualTo(130);
  }

  @Test
  void aListingWithARareFilterStopsAfterItsScanAndItsCursorFindsTheRest() {
    SettableClock clock = SettableClock.create();
    int scan = 1000;
    RedisJobStore store = open(clock, scan);
    store.enqueue(job("rare", "rare", 0, null));
    clock.advance(Duration.ofMillis(1));
    List<NewJob> common = new ArrayList<>();
    for (int i = 0; i < scan + 500; i++) {
      common.add(job("c" + i, "common", 0, null));
      if (common.size() == 100) {
        store.enqueueAll(common);
        common.clear();
        clock.advance(Duration.ofMillis(1));
      }
    }
    store.enqueueAll(common);

    JobPage first = store.list(JobQuery.all().withType("rare"));
    List<Job> found = new ArrayList<>(first.jobs());
    String after = first.next();
    int pages = 1;
    while (after != null) {
      JobPage p = store.list(JobQuery.all().withType("rare").withAfter(after));
      found.addAll(p.jobs());
      after = p.next();
      pages++;
    }

    assertThat(first.jobs()).isEmpty();
    assertThat(first.next()).isNotNull();
    assertThat(found).extracting(Job::id).containsExactly("rare");
    assertThat(pages).isEqualTo(2);

    JobPage newest = store.list(JobQuery.all().withLimit(3));
    assertThat(newest.jobs()).hasSize(3);
    assertThat(newest.jobs().get(0).createdAt()).isEqualTo(clock.instant().minusMillis(1));
    assertThat(newest.jobs()).extracting(Job::id).containsExactly("c1499", "c1498", "c1497");
  }
}
