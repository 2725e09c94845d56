package io.idem.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.SettableClock;
import io.idem.memory.InMemoryJobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Unique keys, deterministic ids, conflicts and request validation through {@link Jobs}. */
class UniqueAndRequestTest {

  record Email(long userId, String kind, String note) {}

  private final SettableClock clock = new SettableClock(Instant.parse("2026-03-29T00:30:00Z"));
  private final InMemoryJobStore store = InMemoryJobStore.create(clock);
  private final Jobs jobs = Jobs.builder(store).clock(clock).build();

  @Test
  void oneJobPerUserAndASecondTriggerIsRejectedWithThePendingStatus() {
    JobRequest req =
        JobRequest.of("email.process", new Email(123, "digest", "a"))
            .unique(Unique.byEntity("user", 123));

    EnqueueResult first = jobs.enqueue(req);
    EnqueueResult second = jobs.enqueue(req);

    assertThat(first.outcome()).isEqualTo(EnqueueOutcome.ENQUEUED);
    assertThat(first.job().uniqueKey()).isEqualTo("email.process:user=123");
    assertThat(second.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(second.job().id()).isEqualTo(first.job().id());
    assertThat(second.pending()).isEqualTo(new PendingSummary("email.process:user=123", 0, 0, 1));
    assertThat(jobs.pending(req).any()).isTrue();
    assertThat(jobs.stats().duplicatesPrevented()).containsEntry("email.process:user=123", 1L);
  }

  @Test
  void byChosenArgsIgnoresTheOtherFieldsAndFieldOrder() {
    Unique u = Unique.byArgs("userId", "kind");
    String a = jobs.uniqueKeyOf(JobRequest.of("t", new Email(1, "x", "first")).unique(u));
    String b = jobs.uniqueKeyOf(JobRequest.of("t", new Email(1, "x", "second")).unique(u));
    Map<String, Object> reordered = new LinkedHashMap<>();
    reordered.put("kind", "x");
    reordered.put("userId", 1);
    String c = jobs.uniqueKeyOf(JobRequest.of("t", reordered).unique(u));
    String d = jobs.uniqueKeyOf(JobRequest.of("t", new Email(2, "x", "first")).unique(u));
    String allArgs =
        jobs.uniqueKeyOf(JobRequest.of("t", new Email(1, "x", "first")).unique(Unique.byArgs()));
    String otherType = jobs.uniqueKeyOf(JobRequest.of("u", new Email(1, "x", "first")).unique(u));

    assertThat(a).isEqualTo(b).isEqualTo(c).startsWith("t:args=");
    assertThat(d).isNotEqualTo(a);
    assertThat(allArgs).isNotEqualTo(a);
    assertThat(otherType).startsWith("u:");
  }

  @Test
  void aPeriodPutsTheRunTimesBucketInTheKeyAndTheDeterministicId() {
    Unique daily = Unique.byEntity("user", 7).perPeriod(Duration.ofDays(1));
    JobRequest today = JobRequest.of("digest", null).unique(daily).deterministicId();

    EnqueueResult first = jobs.enqueue(today);
    EnqueueResult manual = jobs.enqueue(today); // the manual trigger: the same id and key
    clock.advance(Duration.ofDays(1));
    EnqueueResult tomorrow = jobs.enqueue(today);

    assertThat(first.job().uniqueKey()).isEqualTo("digest:user=7@2026-03-29T00:00:00Z");
    assertThat(manual.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(manual.job().id()).isEqualTo(first.job().id());
    assertThat(first.job().id())
        .isEqualTo(
            JobIds.deterministic(
                "digest",
                "digest:user=7@2026-03-29T00:00:00Z",
                Instant.parse("2026-03-29T00:00:00Z")));
    assertThat(tomorrow.outcome()).isEqualTo(EnqueueOutcome.ENQUEUED);
    assertThat(tomorrow.job().id()).isNotEqualTo(first.job().id());
  }

  @Test
  void byQueueLetsTheSameJobWaitOncePerQueue() {
    Unique u = Unique.byKey("sync").byQueue();
    assertThat(jobs.enqueue(JobRequest.of("s", null).queue("a").unique(u)).enqueued()).isTrue();
    assertThat(jobs.enqueue(JobRequest.of("s", null).queue("b").unique(u)).enqueued()).isTrue();
    assertThat(jobs.enqueue(JobRequest.of("s", null).queue("a").unique(u)).enqueued()).isFalse();
  }

  @Test
  void replaceDebouncesAWaitingJob() {
    Unique u = Unique.byEntity("doc", 9).onConflict(ConflictPolicy.REPLACE);
    Job first =
        jobs.enqueue(JobRequest.of("index", Map.of("v", 1)).unique(u).delay(Duration.ofSeconds(30)))
            .job();
    EnqueueResult again =
        jobs.enqueue(
            JobRequest.of("index", Map.of("v", 2)).unique(u).delay(Duration.ofSeconds(30)));
    assertThat(again.outcome()).isEqualTo(EnqueueOutcome.REPLACED);
    assertThat(again.job().id()).isEqualTo(first.id());
    assertThat(again.job().args()).isEqualTo("{\"v\":2}");
    assertThat(again.job().runAt()).isEqualTo(clock.instant().plusSeconds(30));
  }

  @Test
  void reuseAndStatesChooseWhichFinishedJobsBlock() {
    assertThat(Unique.byKey("k").uniqueStates()).isEqualTo(JobState.REQUIRED_UNIQUE_STATES);
    assertThat(Unique.byKey("k").reuse(ReusePolicy.ALLOW_AFTER_FAILURE).uniqueStates())
        .contains(JobState.SUCCEEDED)
        .doesNotContain(JobState.DEAD);
    assertThat(Unique.byKey("k").states(JobState.CANCELLED).uniqueStates())
        .containsAll(JobState.REQUIRED_UNIQUE_STATES)
        .contains(JobState.CANCELLED);
  }

  @Test
  void delayAndExpiryAreCountedFromTheEnqueue() {
    Job j =
        jobs.enqueue(
                JobRequest.of("t", null)
                    .delay(Duration.ofMinutes(5))
                    .expiresIn(Duration.ofMinutes(10))
                    .priority(3)
                    .maxAttempts(2))
            .job();
    assertThat(j.state()).isEqualTo(JobState.SCHEDULED);
    assertThat(j.runAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
    assertThat(j.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(15)));
    assertThat(j.priority()).isEqualTo(3);
    assertThat(j.maxAttempts()).isEqualTo(2);
    assertThat(j.args()).isEqualTo("{}");
  }

  @Test
  void badRequestsAreRefusedNamingTheValue() {
    assertThatThrownBy(() -> JobRequest.of("t", null).maxAttempts(0))
        .hasMessageContaining("maxAttempts must be at least 1, but was 0");
    assertThatThrownBy(() -> JobRequest.of("t", null).delay(Duration.ofSeconds(-1)))
        .hasMessageContaining("PT-1S");
    assertThatThrownBy(() -> JobRequest.of("t", null).timeout(Duration.ZERO))
        .hasMessageContaining("timeout must be positive, but was PT0S");
    assertThatThrownBy(() -> JobRequest.of("", null)).hasMessageContaining("type");
    assertThatThrownBy(() -> jobs.enqueue(JobRequest.of("t", null).deterministicId()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("deterministic id needs a unique key");
    assertThatThrownBy(() -> jobs.enqueue(JobRequest.of("t", new Object())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("args of job type t cannot be written as JSON");
    assertThatThrownBy(() -> Unique.byEntity("user", "a\u0000b")).hasMessageContaining("entity id");
    assertThatThrownBy(() -> Unique.byKey("k").perPeriod(Duration.ofMillis(10)))
        .hasMessageContaining("period must be at least 1 second, but was PT0.01S");
    assertThatThrownBy(() -> WorkerOptions.defaults().concurrency(0))
        .hasMessageContaining("concurrency must be between 1 and 1000, but was 0");
    assertThatThrownBy(() -> new JobQuery(java.util.Set.of(), null, null, null, 5000, null))
        .hasMessageContaining("limit must be between 1 and 1000, but was 5000");
    assertThatThrownBy(() -> JobQuery.all().withAfter("nonsense"))
        .hasMessageContaining("'nonsense'");
    assertThat(store.stats().byState().values()).allMatch(n -> n == 0);
  }

  @Test
  void backoffGrowsUpToItsMaximumWithJitterBelowTheDelay() {
    RetryPolicy p =
        RetryPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(30)).jitter(0);
    assertThat(p.delayAfter(1, new Random(1))).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.delayAfter(3, new Random(1))).isEqualTo(Duration.ofSeconds(4));
    assertThat(p.delayAfter(30, new Random(1))).isEqualTo(Duration.ofSeconds(30));
    RetryPolicy j = p.jitter(0.5);
    Random r = new Random(7);
    for (int i = 0; i < 100; i++) {
      assertThat(j.delayAfter(2, r)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
    }
    assertThatThrownBy(() -> p.jitter(1.5)).hasMessageContaining("but was 1.5");
  }

  @Test
  void randomIdsSortByTimeAndDeterministicOnesAreStable() {
    String a = JobIds.random(Instant.parse("2026-01-01T00:00:00Z"));
    String b = JobIds.random(Instant.parse("2026-01-01T00:00:01Z"));
    assertThat(a).hasSize(36).isLessThan(b);
    assertThat(a.charAt(14)).isEqualTo('7');
    assertThat(JobIds.deterministic("t", "k", null))
        .isEqualTo(JobIds.deterministic("t", "k", null))
        .isNotEqualTo(JobIds.deterministic("t", "k2", null));
  }
}
