package io.idem.bench.jobs;

import javax.sql.DataSource;

/**
 * Idem's job engine as a contender. <b>TO BE COMPLETED</b> when {@code io.idem.job.Jobs} (the
 * facade with its workers) and {@code io.idem.postgres.PostgresJobStore} exist; until then {@link
 * #AVAILABLE} is false and {@link JobThroughput} reports Idem as pending and runs the peers alone.
 *
 * <p>What to write (the same shape as the peers, so that the comparison stays fair):
 *
 * <ol>
 *   <li>{@link #setUp}: a {@code PostgresJobStore} on {@code dataSource} (it creates its schema in
 *       the empty database); a {@code Jobs} with {@code settings.threads()} workers on queue {@code
 *       default}, its fastest reasonable settings (LISTEN/NOTIFY wake-up or a short poll, claim
 *       batch size), written into {@link #settings}; one handler for type {@code bench.noop} that
 *       reads the job's index from its args and calls {@code executions.executed(index)}, nothing
 *       else; workers not started.
 *   <li>{@link #startWorkers}: start the workers.
 *   <li>{@link #enqueue}: jobs 0 to n - 1 with args {@code {"i": index}}, in batches of {@code
 *       settings.batchSize()} through the facade's batch enqueue (or {@code JobStore.enqueueAll});
 *       {@code unique}: each with the unique key {@code bench:job-<index>} (e.g. {@code
 *       .unique(byEntity("job", index))}); plain: no unique key. Check that each result is
 *       ENQUEUED.
 *   <li>{@link #unfinished}: n minus the count of SUCCEEDED jobs, in one query (or {@code
 *       JobStore.stats()}).
 *   <li>{@link #tearDown}: stop the workers, close the store (the harness closes the pool).
 * </ol>
 *
 * Then set {@link #AVAILABLE} to true; {@code JobThroughputTest} runs it with 200 jobs, unique and
 * plain.
 */
public final class IdemContender implements Contender {

  /** False until the class is completed. */
  static final boolean AVAILABLE = false;

  private static final String PENDING =
      "IdemContender is to be completed: io.idem.job.Jobs and io.idem.postgres.PostgresJobStore"
          + " do not exist yet";

  @Override
  public String name() {
    return "idem";
  }

  @Override
  public String settings(RunSettings s) {
    return "Idem: pending (" + PENDING + ")";
  }

  @Override
  public boolean supportsPlain() {
    return true;
  }

  @Override
  public void setUp(DataSource dataSource, RunSettings settings, Executions executions) {
    throw new UnsupportedOperationException(PENDING);
  }

  @Override
  public void startWorkers() {
    throw new UnsupportedOperationException(PENDING);
  }

  @Override
  public void enqueue(int n, boolean unique) {
    throw new UnsupportedOperationException(PENDING);
  }

  @Override
  public long unfinished() {
    throw new UnsupportedOperationException(PENDING);
  }

  @Override
  public void tearDown() {}
}
