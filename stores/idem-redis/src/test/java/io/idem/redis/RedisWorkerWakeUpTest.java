package io.idem.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.idem.job.Job;
import io.idem.job.JobRequest;
import io.idem.job.JobState;
import io.idem.job.Jobs;
import io.idem.job.Worker;
import io.idem.job.WorkerOptions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A worker that never polls (a one-hour poll interval) runs a job enqueued through another store
 * instance at once: pub/sub wakes it.
 */
class RedisWorkerWakeUpTest {

  private final String prefix = RedisTesting.uniquePrefix("wake");

  @AfterEach
  void deleteKeys() {
    RedisTesting.deleteKeysOf(prefix);
  }

  @Test
  void aJobEnqueuedElsewhereWakesAWorkerThatNeverPolls() {
    Jobs workerSide =
        Jobs.builder(RedisJobStore.builder(RedisTesting.server().uri()).prefix(prefix).build())
            .build();
    workerSide.register("ping", Object.class, ctx -> "pong");
    Worker w =
        workerSide.startWorker(
            WorkerOptions.defaults()
                .pollInterval(Duration.ofHours(1))
                .maintenanceInterval(Duration.ofHours(1)));
    try (RedisJobStore other =
        RedisJobStore.builder(RedisTesting.server().uri()).prefix(prefix).build()) {
      await().atMost(Duration.ofSeconds(5)).until(() -> w.runningCount() == 0);
      Jobs producer = Jobs.builder(other).build();
      for (int i = 0; i < 3; i++) {
        Job j = producer.enqueue(JobRequest.of("ping", null)).job();
        await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> producer.get(j.id()).orElseThrow().state() == JobState.SUCCEEDED);
        assertThat(producer.get(j.id()).orElseThrow().result()).isEqualTo("\"pong\"");
      }
    } finally {
      w.shutdown(Duration.ofSeconds(5));
      workerSide.store().close();
    }
  }
}
