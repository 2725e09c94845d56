package io.idem.bench.jobs;

import io.idem.job.EnqueueResult;
import io.idem.job.JobRequest;
import io.idem.job.Jobs;
import io.idem.job.Unique;
import io.idem.job.Worker;
import io.idem.job.WorkerOptions;
import io.idem.postgres.PostgresJobStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Idem's job engine as a contender: {@link Jobs} on a {@link PostgresJobStore}, one handler for
 * type {@value #TYPE} whose args are {@link NoopArgs}, one {@link Worker}. A unique job carries
 * {@code Unique.byEntity("job", i)} (key {@code bench.noop:entity=job=<i>}, held while the job is
 * scheduled, queued, running or waiting for a retry, enforced by the store's partial unique index);
 * a plain job has no unique key.
 *
 * <p>Settings:
 *
 * <ul>
 *   <li>{@code PostgresJobStore.builder(pool).build()} (schema {@code public} of the fresh
 *       database, applied on build);
 *   <li>{@code WorkerOptions.defaults().concurrency(T).prefetch(3 x T).pollInterval(100 ms)}: the
 *       dispatcher claims up to the free slots (T running plus 3 x T claimed ahead, as
 *       db-scheduler's lock-and-fetch upper limit 4.0) in one statement, again at once while claims
 *       come back full or a job ends, and otherwise waits for the store's LISTEN/NOTIFY wake-up
 *       (sent by every enqueue) or the poll (100 ms, as db-scheduler's; default 2 s); successes are
 *       completed in batches by the worker's writer thread (one statement for all those waiting);
 *       lease, heartbeat and maintenance at their defaults;
 *   <li>{@code jobs.enqueueAll(List<JobRequest>)} in chunks of the run's batch size (the store
 *       inserts up to 1,000 jobs per statement with {@code INSERT ... SELECT FROM unnest(...) ON
 *       CONFLICT DO NOTHING}, and answers the jobs that met a conflict one by one).
 * </ul>
 */
public final class IdemContender implements Contender {

  /** True now that {@code io.idem.job.Jobs} and {@code PostgresJobStore} exist. */
  static final boolean AVAILABLE = true;

  static final String TYPE = "bench.noop";
  static final Duration POLL_INTERVAL = Duration.ofMillis(100);

  /**
   * Jobs claimed ahead per thread: 3, so that a claim takes up to 4 x T jobs, as db-scheduler's
   * lock-and-fetch upper limit of 4.0 does in its contender.
   */
  static final int PREFETCH_PER_THREAD = 3;

  /** The args of a bench job: its index. */
  public record NoopArgs(int i) {}

  private @Nullable DataSource dataSource;
  private @Nullable PostgresJobStore store;
  private @Nullable Jobs jobs;
  private @Nullable Worker worker;
  private int threads = 1;
  private int batchSize = 1;
  private long enqueued;

  @Override
  public String name() {
    return "idem";
  }

  @Override
  public String settings(RunSettings s) {
    return "Idem (this build): PostgresJobStore, Jobs.startWorker(concurrency("
        + s.threads()
        + ").prefetch("
        + PREFETCH_PER_THREAD * s.threads()
        + "), pollInterval("
        + POLL_INTERVAL.toMillis()
        + " ms) + LISTEN/NOTIFY), jobs.enqueueAll of "
        + s.batchSize()
        + ", unique = Unique.byEntity(\"job\", i)";
  }

  @Override
  public boolean supportsPlain() {
    return true;
  }

  @Override
  public void setUp(DataSource ds, RunSettings s, Executions executions) {
    dataSource = ds;
    threads = s.threads();
    batchSize = s.batchSize();
    PostgresJobStore st = PostgresJobStore.builder(ds).build();
    store = st;
    Jobs j = Jobs.builder(st).build();
    j.register(
        TYPE,
        NoopArgs.class,
        ctx -> {
          executions.executed(ctx.args().i());
          return null;
        });
    jobs = j;
  }

  @Override
  public void startWorkers() {
    worker =
        jobs()
            .startWorker(
                WorkerOptions.defaults()
                    .concurrency(threads)
                    .prefetch(PREFETCH_PER_THREAD * threads)
                    .pollInterval(POLL_INTERVAL));
  }

  @Override
  public void enqueue(int n, boolean unique) {
    Jobs j = jobs();
    List<JobRequest> batch = new ArrayList<>(Math.min(batchSize, n));
    for (int i = 0; i < n; i++) {
      JobRequest r = JobRequest.of(TYPE, new NoopArgs(i));
      batch.add(unique ? r.unique(Unique.byEntity("job", i)) : r);
      if (batch.size() == batchSize || i == n - 1) {
        for (EnqueueResult result : j.enqueueAll(batch)) {
          if (!result.enqueued()) {
            throw new IllegalStateException("not enqueued: " + result);
          }
        }
        batch = new ArrayList<>(Math.min(batchSize, n - i - 1));
      }
    }
    enqueued += n;
  }

  @Override
  public long unfinished() throws SQLException {
    // state 3 = SUCCEEDED
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*) FROM " + store.schema() + ".idem_jobs WHERE state = 3");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return enqueued - rs.getLong(1);
    }
  }

  @Override
  public void tearDown() {
    if (worker != null) {
      worker.shutdown(Duration.ofSeconds(10));
      worker = null;
    }
    if (store != null) {
      store.close();
      store = null;
    }
  }

  private Jobs jobs() {
    Jobs j = jobs;
    if (j == null) {
      throw new IllegalStateException("setUp first");
    }
    return j;
  }
}
