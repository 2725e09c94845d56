package io.idem.bench.jobs;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * db-scheduler ({@code com.github.kagkarlsson:db-scheduler}) as a contender: one {@link
 * OneTimeTask} {@value #TASK} whose instances are the jobs. The instance id ({@code job-<index>})
 * is db-scheduler's uniqueness: the table's primary key is (task name, instance id); {@code
 * scheduleIfNotExists} skips an id that exists, {@code scheduleBatch} fails on one (never here:
 * every id of a run is new). There is no job without an id, so {@link #supportsPlain()} is false.
 *
 * <p>Settings, chosen for throughput (db-scheduler's README recommends lock-and-fetch on PostgreSQL
 * for high throughput; the limits 2.0 and 4.0 are the ones of its author's own throughput
 * benchmark, which keeps a queue of fetched executions ahead of the threads; 0.5/1.0, 0.5/4.0 and
 * 1.0/8.0 gave the same figures within this machine's noise):
 *
 * <ul>
 *   <li>{@code threads(T)} executor threads;
 *   <li>{@code pollUsingLockAndFetch(2.0, 4.0)}: one {@code UPDATE ... WHERE (name, id) IN (SELECT
 *       ... FOR UPDATE SKIP LOCKED LIMIT k) RETURNING} picks up to 4 x T due executions, and a new
 *       fetch is triggered at once when the queue falls to 2 x T while the last fetch was full;
 *   <li>{@code pollingInterval(100 ms)} (default 10 s) and {@code enableImmediateExecution()} (a
 *       schedule for now wakes the local poller);
 *   <li>{@code scheduleBatch(List<TaskInstance>, now)} in chunks of the run's batch size (one JDBC
 *       batch insert per chunk);
 *   <li>no task data (the default Java serializer is never used), a completed one-time execution is
 *       deleted (db-scheduler's default for one-time tasks), heartbeat and everything else at their
 *       defaults; the table is the one of db-scheduler's {@code postgresql_tables.sql} for 16.x.
 * </ul>
 */
public final class DbSchedulerContender implements Contender {

  static final String TASK = "bench-noop";
  static final String ID_PREFIX = "job-";
  static final long POLLING_MILLIS = 100;
  static final double LOWER_LIMIT = 2.0;
  static final double UPPER_LIMIT = 4.0;

  /** db-scheduler 16.x's PostgreSQL table (its {@code postgresql_tables.sql}). */
  static final String DDL =
      "CREATE TABLE scheduled_tasks ("
          + " task_name TEXT NOT NULL,"
          + " task_instance TEXT NOT NULL,"
          + " task_data BYTEA,"
          + " execution_time TIMESTAMP WITH TIME ZONE NOT NULL,"
          + " picked BOOLEAN NOT NULL,"
          + " picked_by TEXT,"
          + " last_success TIMESTAMP WITH TIME ZONE,"
          + " last_failure TIMESTAMP WITH TIME ZONE,"
          + " consecutive_failures INT,"
          + " last_heartbeat TIMESTAMP WITH TIME ZONE,"
          + " version BIGINT NOT NULL,"
          + " priority SMALLINT,"
          + " PRIMARY KEY (task_name, task_instance));"
          + "CREATE INDEX execution_time_idx ON scheduled_tasks (execution_time);"
          + "CREATE INDEX last_heartbeat_idx ON scheduled_tasks (last_heartbeat);"
          + "CREATE INDEX priority_execution_time_idx ON scheduled_tasks"
          + " (priority DESC, execution_time ASC)";

  private @Nullable DataSource dataSource;
  private @Nullable Scheduler scheduler;
  private @Nullable OneTimeTask<Void> task;
  private int batchSize = 1;

  @Override
  public String name() {
    return "db-scheduler";
  }

  @Override
  public String settings(RunSettings s) {
    return "db-scheduler "
        + PeerVersions.of("db-scheduler")
        + ": threads("
        + s.threads()
        + "), pollUsingLockAndFetch("
        + LOWER_LIMIT
        + ", "
        + UPPER_LIMIT
        + "), pollingInterval("
        + POLLING_MILLIS
        + " ms), enableImmediateExecution(), scheduleBatch of "
        + s.batchSize()
        + ", unique = the instance id job-<i>";
  }

  @Override
  public boolean supportsPlain() {
    return false;
  }

  @Override
  public void setUp(DataSource ds, RunSettings s, Executions executions) throws SQLException {
    dataSource = ds;
    batchSize = s.batchSize();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute(DDL);
    }
    OneTimeTask<Void> t =
        Tasks.oneTime(TASK)
            .execute(
                (instance, context) ->
                    executions.executed(
                        Integer.parseInt(instance.getId().substring(ID_PREFIX.length()))));
    task = t;
    scheduler =
        Scheduler.create(ds, t)
            .threads(s.threads())
            .pollUsingLockAndFetch(LOWER_LIMIT, UPPER_LIMIT)
            .pollingInterval(Duration.ofMillis(POLLING_MILLIS))
            .enableImmediateExecution()
            .shutdownMaxWait(Duration.ofSeconds(10))
            .build();
  }

  @Override
  public void startWorkers() {
    scheduler().start();
  }

  @Override
  public void enqueue(int n, boolean unique) {
    if (!unique) {
      throw new UnsupportedOperationException("db-scheduler has no job without an instance id");
    }
    Scheduler s = scheduler();
    OneTimeTask<Void> t = task;
    List<TaskInstance<?>> batch = new ArrayList<>(Math.min(batchSize, n));
    for (int i = 0; i < n; i++) {
      batch.add(t.instance(ID_PREFIX + i));
      if (batch.size() == batchSize || i == n - 1) {
        s.scheduleBatch(batch, Instant.now());
        batch = new ArrayList<>(Math.min(batchSize, n - i - 1));
      }
    }
  }

  @Override
  public long unfinished() throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM scheduled_tasks")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public void tearDown() {
    if (scheduler != null) {
      scheduler.stop();
      scheduler = null;
    }
  }

  private Scheduler scheduler() {
    Scheduler s = scheduler;
    if (s == null) {
      throw new IllegalStateException("setUp first");
    }
    return s;
  }
}
