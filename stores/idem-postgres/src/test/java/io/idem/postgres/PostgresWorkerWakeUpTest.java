package io.idem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
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
 * A worker that never polls (a one-hour poll interval) runs a job enqueued through another pool and
 * store at once: LISTEN/NOTIFY wakes it.
 */
class PostgresWorkerWakeUpTest {

  private final String schema = PostgresTests.server().createSchema("idem_wake");
  private final HikariDataSource workerPool = PostgresTests.pool(6, Duration.ofSeconds(10));
  private final HikariDataSource producerPool = PostgresTests.pool(2, Duration.ofSeconds(10));

  @AfterEach
  void close() {
    workerPool.close();
    producerPool.close();
  }

  @Test
  void aJobEnqueuedElsewhereWakesAWorkerThatNeverPolls() {
    Jobs workerSide =
        Jobs.builder(PostgresJobStore.builder(workerPool).schema(schema).build()).build();
    workerSide.register("ping", Object.class, ctx -> "pong");
    Worker w =
        workerSide.startWorker(
            WorkerOptions.defaults()
                .pollInterval(Duration.ofHours(1))
                .maintenanceInterval(Duration.ofHours(1)));
    try {
      await().atMost(Duration.ofSeconds(5)).until(() -> w.runningCount() == 0);
      Jobs producer =
          Jobs.builder(
                  PostgresJobStore.builder(producerPool).schema(schema).applySchema(false).build())
              .build();
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
