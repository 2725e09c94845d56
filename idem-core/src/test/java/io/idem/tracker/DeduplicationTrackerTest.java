package io.idem.tracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.Scope;
import io.idem.lock.LockManager;
import io.idem.memory.InMemoryLockStore;
import io.idem.memory.InMemoryProcessedSetStore;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DeduplicationTrackerTest {

  private final Trackers trackers =
      Trackers.create(
          InMemoryProcessedSetStore.create(), LockManager.create(InMemoryLockStore.create()));

  @Test
  void markIsUnmarkListClearAndLastModified() {
    DeduplicationTracker saved = trackers.tracker("saved_jobs", Scope.user(42));

    assertThat(saved.markProcessed("job-1")).isTrue();
    assertThat(saved.markProcessed("job-1")).isFalse();
    assertThat(saved.markProcessed("job-2")).isTrue();
    assertThat(saved.isProcessed("job-1")).isTrue();
    assertThat(saved.allProcessed()).containsExactlyInAnyOrder("job-1", "job-2");
    assertThat(saved.lastModified()).isPresent();
    assertThat(saved.unmarkProcessed("job-1")).isTrue();
    assertThat(saved.isProcessed("job-1")).isFalse();
    assertThat(saved.clearAll()).isEqualTo(1);
    assertThat(saved.allProcessed()).isEmpty();
    assertThat(saved.lastModified()).isEmpty();
  }

  @Test
  void trackersOfOneScopeAndOneTrackerOfManyScopesAreIndependent() {
    DeduplicationTracker saved = trackers.tracker("saved_jobs", Scope.user(1));
    DeduplicationTracker applied = trackers.tracker("applied_jobs", Scope.user(1));
    DeduplicationTracker otherUser = trackers.tracker("saved_jobs", Scope.user(2));
    saved.markProcessed("job-1");

    assertThat(applied.isProcessed("job-1")).isFalse();
    assertThat(otherUser.isProcessed("job-1")).isFalse();
  }

  @Test
  void runOnceMarksOnlyWhenTheActionSucceeded() {
    DeduplicationTracker saved = trackers.tracker("saved_jobs", Scope.session("s-1"));
    AtomicInteger saves = new AtomicInteger();

    assertThatThrownBy(
            () ->
                saved.runOnce(
                    "job-1",
                    () -> {
                      saves.incrementAndGet();
                      throw new IllegalStateException("db down");
                    }))
        .isInstanceOf(IllegalStateException.class);
    assertThat(saved.isProcessed("job-1")).isFalse();

    TrackerOutcome<Integer> retry = saved.runOnce("job-1", saves::incrementAndGet);
    TrackerOutcome<Integer> again = saved.runOnce("job-1", saves::incrementAndGet);

    assertThat(retry.ran()).isTrue();
    assertThat(retry.value()).isEqualTo(2);
    assertThat(again.kind()).isEqualTo(TrackerOutcome.Kind.ALREADY_PROCESSED);
    assertThat(saves).hasValue(2);
    assertThat(saved.isProcessed("job-1")).isTrue();
  }

  @Test
  void runOnceNeverRunsTheActionTwiceAtOnce() throws Exception {
    DeduplicationTracker saved = trackers.tracker("saved_jobs", Scope.user(7));
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<TrackerOutcome<String>> first =
          pool.submit(
              () ->
                  saved.runOnce(
                      "job-9",
                      () -> {
                        inside.countDown();
                        finish.await(10, TimeUnit.SECONDS);
                        return "saved";
                      }));
      assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();

      TrackerOutcome<String> second = saved.runOnce("job-9", () -> "twice!");

      assertThat(second.kind()).isEqualTo(TrackerOutcome.Kind.IN_PROGRESS);
      finish.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS).value()).isEqualTo("saved");
      assertThat(saved.runOnce("job-9", () -> "again").kind())
          .isEqualTo(TrackerOutcome.Kind.ALREADY_PROCESSED);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aSessionTrackerKeepsTheSeedsLayout() {
    Map<String, Object> session = new HashMap<>();
    DeduplicationTracker saved = Trackers.session(session, "saved_jobs");

    saved.markProcessed("job-1");
    saved.runOnce("job-2", () -> "ok");

    assertThat(session.get("dedup_saved_jobs")).isEqualTo(List.of("job-1", "job-2"));
    assertThat(Instant.parse((String) session.get("__dedup_saved_jobs_last_modified")))
        .isBeforeOrEqualTo(Instant.now());
    assertThat(Trackers.session(session, "saved_jobs").isProcessed("job-2")).isTrue();
    assertThat(Trackers.session(new HashMap<>(), "saved_jobs").isProcessed("job-2")).isFalse();

    assertThat(saved.clearAll()).isEqualTo(2);
    assertThat(session).doesNotContainKeys("dedup_saved_jobs", "__dedup_saved_jobs_last_modified");
  }

  @Test
  void aSessionWrittenByTheSeedIsRead() {
    Map<String, Object> session = new HashMap<>();
    session.put("dedup_saved_jobs", List.of("a", 17));
    session.put("__dedup_saved_jobs_last_modified", 1_760_000_000.5);
    DeduplicationTracker saved = Trackers.session(session, "saved_jobs");

    assertThat(saved.allProcessed()).containsExactlyInAnyOrder("a", "17");
    assertThat(saved.lastModified()).contains(Instant.ofEpochMilli(1_760_000_000_500L));
  }

  @Test
  void badTrackerIdsAndJobIdsAreRefusedNamingThem() {
    assertThatThrownBy(() -> trackers.tracker("saved jobs", Scope.global()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("saved jobs");
    DeduplicationTracker t = trackers.tracker("t", Scope.global());
    assertThatThrownBy(() -> t.markProcessed("a\nb"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("job id");
  }
}
