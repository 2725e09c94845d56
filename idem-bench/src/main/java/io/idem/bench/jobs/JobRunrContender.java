package io.idem.bench.jobs;

import static org.jobrunr.server.BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.jobrunr.jobs.details.CachingJobDetailsGenerator;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.scheduling.JobBuilder;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.JsonMapper;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;
import org.jspecify.annotations.Nullable;

/**
 * JobRunr ({@code org.jobrunr:jobrunr}, the open-source edition) as a contender: jobs are the
 * lambda {@code () -> JobRunrNoop.execute(i)}. A unique job has the deterministic id {@code
 * UUID.nameUUIDFromBytes("bench-job-<i>")}, JobRunr's way of deduplicating (its single {@code
 * enqueue(UUID, lambda)} skips an id that exists; its batch save refuses the whole batch instead,
 * which never arises here: every id of a run is new); a plain job gets the id JobRunr generates.
 *
 * <p>Built as JobRunr's fluent {@code JobRunr.configure()...initialize()} builds it, without the
 * global state (so that runs can follow one another in one JVM): {@link PostgresStorageProvider} on
 * the pool (it creates its tables, {@code DatabaseOptions.CREATE}), a {@link JobMapper} over {@link
 * JacksonJsonMapper}, a {@link BackgroundJobServer} and a {@link JobScheduler}.
 *
 * <p>Settings, chosen for throughput:
 *
 * <ul>
 *   <li>{@code andWorkerCount(T)};
 *   <li>{@code andPollInterval(5 s)}: the smallest JobRunr allows for a SQL storage (it refuses
 *       less: "otherwise it will cause too much load"; the default is 15 s). The poll matters only
 *       for picking up the first jobs: afterwards each worker that goes idle fetches more at once
 *       ({@code JobSteward.notifyThreadIdle}, a {@code SELECT ... FOR UPDATE SKIP LOCKED} of up to
 *       the free workers' count);
 *   <li>{@code JobScheduler.create(Stream<JobBuilder>)}, JobRunr's batch enqueue (it saves in JDBC
 *       batches of {@code StorageProvider.BATCH_SIZE} = 5,000 jobs, whatever the run's batch size);
 *   <li>no dashboard, JMX or metrics; every other setting at its default.
 * </ul>
 */
public final class JobRunrContender implements Contender {

  static final Duration POLL_INTERVAL = Duration.ofSeconds(5);

  private @Nullable DataSource dataSource;
  private @Nullable StorageProvider storage;
  private @Nullable BackgroundJobServer server;
  private @Nullable JobScheduler scheduler;
  private long enqueued;

  @Override
  public String name() {
    return "jobrunr";
  }

  @Override
  public String settings(RunSettings s) {
    return "JobRunr "
        + PeerVersions.of("jobrunr")
        + ": PostgresStorageProvider, andWorkerCount("
        + s.threads()
        + "), andPollInterval("
        + POLL_INTERVAL.toSeconds()
        + " s, the minimum), JobScheduler.create(Stream<JobBuilder>) (batches of 5000),"
        + " unique = withId(UUID.nameUUIDFromBytes(\"bench-job-<i>\"))";
  }

  @Override
  public boolean supportsPlain() {
    return true;
  }

  @Override
  public void setUp(DataSource ds, RunSettings s, Executions executions) {
    dataSource = ds;
    JsonMapper json = new JacksonJsonMapper();
    StorageProvider sp = new PostgresStorageProvider(ds);
    sp.setJobMapper(new JobMapper(json));
    storage = sp;
    BackgroundJobServerConfiguration config =
        usingStandardBackgroundJobServerConfiguration()
            .andWorkerCount(s.threads())
            .andPollInterval(POLL_INTERVAL)
            .andInterruptJobsAwaitDurationOnStopBackgroundJobServer(Duration.ofSeconds(10));
    server = new BackgroundJobServer(sp, json, null, config);
    scheduler = new JobScheduler(sp, new CachingJobDetailsGenerator(), List.of());
  }

  @Override
  public void startWorkers() {
    server().start();
  }

  @Override
  public void enqueue(int n, boolean unique) {
    JobScheduler js = scheduler;
    if (js == null) {
      throw new IllegalStateException("setUp first");
    }
    js.create(
        IntStream.range(0, n)
            .mapToObj(
                i -> {
                  JobBuilder b = JobBuilder.aJob().withDetails(() -> JobRunrNoop.execute(i));
                  return unique ? b.withId(id(i)) : b;
                }));
    enqueued += n;
  }

  /** The deterministic id of unique job {@code i}. */
  static UUID id(int i) {
    return UUID.nameUUIDFromBytes(("bench-job-" + i).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public long unfinished() throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT count(*) FROM jobrunr_jobs WHERE state = 'SUCCEEDED'")) {
      rs.next();
      return enqueued - rs.getLong(1);
    }
  }

  @Override
  public void tearDown() {
    if (server != null) {
      server.stop();
      server = null;
    }
    if (storage != null) {
      storage.close();
      storage = null;
    }
  }

  private BackgroundJobServer server() {
    BackgroundJobServer s = server;
    if (s == null) {
      throw new IllegalStateException("setUp first");
    }
    return s;
  }
}
