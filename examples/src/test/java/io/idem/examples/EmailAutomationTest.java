package io.idem.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.idem.Idem;
import io.idem.job.JobState;
import io.idem.job.PendingSummary;
import io.idem.job.Worker;
import io.idem.job.WorkerOptions;
import io.idem.memory.InMemoryIdempotencyStore;
import io.idem.memory.InMemoryJobStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The seeds' scenario: one email-processing job per user, from a scheduler and a trigger. */
class EmailAutomationTest {

  private final Map<Long, AtomicInteger> runsPerUser = new ConcurrentHashMap<>();
  private final Idem idem = Idem.builder(InMemoryIdempotencyStore.create()).build();
  private final EmailAutomation app =
      new EmailAutomation(
          InMemoryJobStore.create(),
          idem,
          user -> runsPerUser.computeIfAbsent(user, u -> new AtomicInteger()).incrementAndGet());

  @Test
  void aSecondTriggerWhilePendingIsAConflictWithThePendingStatus() {
    EmailAutomation.TriggerAnswer first = app.trigger(123);
    EmailAutomation.TriggerAnswer second = app.trigger(123);

    assertThat(first.status()).isEqualTo(202);
    assertThat(second.status()).isEqualTo(409);
    assertThat(second.job().id()).isEqualTo(first.job().id());
    assertThat(second.job().state()).isEqualTo(JobState.QUEUED);
    assertThat(second.pending()).isEqualTo(new PendingSummary("email.process:user=123", 0, 0, 1));
  }

  @Test
  void aSchedulerPassSkipsUsersWithARunPendingAndTheTriggerGetsTheSchedulersJob() {
    app.trigger(2);

    EmailAutomation.PassResult pass = app.schedulerPass(List.of(1L, 2L, 3L));
    EmailAutomation.TriggerAnswer manual = app.trigger(3);

    assertThat(pass.enqueued()).containsExactly(1L, 3L);
    assertThat(pass.skipped()).containsExactly(2L);
    assertThat(manual.status()).isEqualTo(409);
    assertThat(manual.job().args()).contains("\"trigger\":\"scheduler\"");
    assertThat(app.jobs().stats().duplicatesPrevented())
        .containsEntry("email.process:user=2", 1L)
        .containsEntry("email.process:user=3", 1L);
  }

  @Test
  void afterARunFinishesTheNextPassEnqueuesAgainAndEachRunSendsOnce() {
    Worker w =
        app.startWorker(
            WorkerOptions.defaults().pollInterval(Duration.ofMillis(50)).concurrency(2));
    try {
      app.schedulerPass(List.of(1L, 2L));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> app.jobs().stats().count(JobState.SUCCEEDED) == 2);
      EmailAutomation.PassResult second = app.schedulerPass(List.of(1L, 2L));
      assertThat(second.enqueued()).containsExactly(1L, 2L);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> app.jobs().stats().count(JobState.SUCCEEDED) == 4);
      assertThat(runsPerUser.get(1L)).hasValue(2);
      assertThat(runsPerUser.get(2L)).hasValue(2);
    } finally {
      w.shutdown(Duration.ofSeconds(5));
      idem.close();
    }
  }
}
