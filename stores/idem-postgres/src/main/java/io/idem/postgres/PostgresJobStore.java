package io.idem.postgres;

import io.idem.StoreUnavailableException;
import io.idem.internal.Durations;
import io.idem.job.EnqueueOutcome;
import io.idem.job.EnqueueResult;
import io.idem.job.Job;
import io.idem.job.JobPage;
import io.idem.job.JobQuery;
import io.idem.job.JobState;
import io.idem.job.JobStateException;
import io.idem.job.JobStats;
import io.idem.job.MaintenanceResult;
import io.idem.job.PendingSummary;
import io.idem.job.UniqueConflictException;
import io.idem.spi.JobClaim;
import io.idem.spi.JobCompletion;
import io.idem.spi.JobStore;
import io.idem.spi.JobTransitions;
import io.idem.spi.NewJob;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The {@link JobStore} on PostgreSQL: unique jobs for many processes and machines sharing one
 * database, in tables {@code idem_jobs} and {@code idem_job_duplicates} in a schema of your choice,
 * statements in {@code io/idem/postgres/jobs.sql}, each changing step of {@link JobTransitions} one
 * SQL statement. <b>Uniqueness is the database's</b>: the partial unique index {@code
 * idem_jobs_unique_key ON idem_jobs (unique_key) WHERE unique_key IS NOT NULL AND ((unique_states
 * >> state) & 1) = 1} (a job's {@code unique_states} is the mask of the states in which it holds
 * its key) refuses a second holder of a key whatever the statement; the Java code never reads to
 * decide whether to write.
 *
 * <pre>{@code
 * JobStore jobs = PostgresJobStore.builder(pool).schema("idem").build();
 * }</pre>
 *
 * <p>Defaults: schema {@value PostgresSchema#DEFAULT_SCHEMA}; the system UTC clock; the schema is
 * applied on {@link Builder#build()} (see {@link PostgresSchema} for applying it yourself, then
 * {@link Builder#applySchema(boolean) applySchema(false)}).
 *
 * <p>Algorithm (times are epoch milliseconds of the store's {@link Clock}, passed as parameters;
 * the database's own clock is never used, so all processes must have reasonably synchronised
 * clocks, as for any lease; states are {@link JobState#code() codes}: 0 SCHEDULED, 1 QUEUED, 2
 * RUNNING, 3 SUCCEEDED, 4 FAILED, 5 DEAD, 6 CANCELLED, 7 EXPIRED):
 *
 * <ol>
 *   <li><b>enqueue</b>: one statement, {@code WITH inserted AS (INSERT INTO idem_jobs ... VALUES
 *       (...) ON CONFLICT DO NOTHING RETURNING *), existing AS (<the job with the id, else the
 *       holder of the key> WHERE NOT EXISTS (SELECT 1 FROM inserted) LIMIT 1), replaced AS (UPDATE
 *       idem_jobs SET priority, args, state, run_at, expires_at, timeout_ms ... FROM existing WHERE
 *       <policy REPLACE> AND state IN (0, 1, 4) RETURNING *), counted AS (INSERT INTO
 *       idem_job_duplicates (key, count, last_at) SELECT COALESCE(unique_key, id), 1, :now FROM
 *       existing ... ON CONFLICT (key) DO UPDATE SET count = count + 1), notified AS (SELECT
 *       pg_notify(channel, '') <when the new or rewritten job is QUEUED>) SELECT 'ENQUEUED', * FROM
 *       inserted UNION ALL SELECT 'REPLACED', * FROM replaced UNION ALL SELECT <IGNORED, REJECTED
 *       or CHANGED>, *, <running, scheduled and queued jobs of its key> FROM existing CROSS JOIN
 *       LATERAL (SELECT count(*) FILTER (...) ... WHERE unique_key = existing.unique_key AND <holds
 *       the key>)}. {@code ON CONFLICT DO NOTHING} (no target: the primary key and the partial
 *       unique index) checks the newest committed rows, waiting for a transaction that is inserting
 *       a conflicting row; the other parts see the statement's snapshot. So when the conflicting
 *       row committed after the snapshot, the statement returns no row, and when a REPLACE finds
 *       the waiting job it saw changed meanwhile (claimed, cancelled), it returns CHANGED without
 *       counting a duplicate: in both cases the statement runs again, at most {@value #MAX_TRIES}
 *       times. The pending summary of a rejection (for the existing job's unique key, as the
 *       in-memory store answers) comes in the same round trip.
 *   <li><b>enqueueAll</b>: first, per chunk of up to {@value #BULK_JOBS} jobs (and about {@value
 *       #BULK_CHARS} characters of args), one statement {@code INSERT INTO idem_jobs SELECT ...
 *       FROM unnest(:ids, :types, ...) WITH ORDINALITY ORDER BY ord ON CONFLICT DO NOTHING
 *       RETURNING *} (plus {@code pg_notify} when a job is due now) of the jobs whose id and unique
 *       key come for the first time in the list: a job whose id or key is taken (by a stored job or
 *       an earlier row of the statement) is skipped, not an error. Then each job skipped or left
 *       out runs the enqueue statement, in list order, in chunks of up to {@value #BATCH_JOBS}
 *       statements sent in one round trip, one READ COMMITTED transaction per chunk (when one of
 *       its statements has to run again, the chunk is rolled back and runs statement by statement).
 *       A job left to the second pass never shares an id or key with a later job that the first
 *       pass inserted, so the answers are those of enqueues one by one. A chunk holds the rows it
 *       wrote (and the duplicate counts it raised) until it commits, so two batches that meet the
 *       same keys in opposite orders can deadlock: PostgreSQL aborts one after its {@code
 *       deadlock_timeout} (1 s by default) and that chunk runs again.
 *   <li><b>claim</b>: one statement, {@code WITH due AS MATERIALIZED (SELECT d.id FROM
 *       unnest(:queues) AS q(queue) CROSS JOIN LATERAL (SELECT id, priority, run_at, created_at
 *       FROM idem_jobs WHERE queue = q.queue AND state IN (0, 1, 4) AND run_at <= :now AND
 *       (cardinality(:types) = 0 OR type = ANY(:types)) AND (expires_at IS NULL OR expires_at >
 *       :now) ORDER BY priority DESC, run_at, created_at, id LIMIT :limit FOR NO KEY UPDATE SKIP
 *       LOCKED) AS d ORDER BY <the same> LIMIT :limit) UPDATE idem_jobs SET state = 2, attempt =
 *       attempt + 1, token = token + 1, lease_until = :now + lease, worker_id = ? WHERE id IN
 *       (SELECT id FROM due) RETURNING *}: each queue is read in the order of the partial index
 *       {@code idem_jobs_due (queue, priority DESC, run_at, created_at, id) WHERE state IN (0, 1,
 *       4)} and stops after the limit (a single {@code queue = ANY(:queues)} scan would sort every
 *       due job). Rows another claim has locked are skipped, and a row that changed after the
 *       snapshot is checked again on its newest version, so two claims never return one job. The
 *       jobs are returned in {@link JobTransitions#CLAIM_ORDER}.
 *   <li><b>heartbeat</b>, <b>complete</b>, <b>fail</b>: one fenced {@code UPDATE idem_jobs SET ...
 *       WHERE id = ? AND state = 2 AND token = ? [RETURNING *]} each; no row means the token no
 *       longer holds the job. fail sets {@code state = CASE WHEN :retry_at IS NOT NULL AND attempt
 *       < max_attempts THEN 4 ELSE 5 END}.
 *   <li><b>completeAll</b>: a JDBC batch of the fenced {@code UPDATE} of complete without {@code
 *       RETURNING}, one round trip and one implicit transaction; each update count says whether
 *       that completion applied, and the job after it is {@link JobTransitions#complete} of the
 *       claimed job given (the row written: only heartbeats change a claimed job while its token
 *       holds it).
 *   <li><b>release</b>: the same fenced {@code UPDATE} (QUEUED, {@code attempt - 1}, due now) in a
 *       statement that also runs {@code pg_notify}.
 *   <li><b>cancel</b>: {@code WITH cancelled AS (UPDATE ... SET state = 6 WHERE id = ? AND state IN
 *       (0, 1, 2, 4) RETURNING *, TRUE) SELECT * FROM cancelled UNION ALL SELECT *, FALSE FROM
 *       idem_jobs WHERE id = ? AND NOT EXISTS (SELECT 1 FROM cancelled)}: a finished job comes back
 *       unchanged; one that the snapshot saw unfinished but that was not cancelled (it finished
 *       meanwhile) runs the statement again.
 *   <li><b>retry</b>: as cancel, with {@code SET state = 1, max_attempts = GREATEST(max_attempts,
 *       attempt + 1), run_at = :now, expires_at = NULL ... WHERE state IN (4, 5, 6, 7)} and {@code
 *       pg_notify}. When another job holds the key, the unique index refuses the row (SQLSTATE
 *       23505, nothing changed); then {@code SELECT} of the holder, for the {@link
 *       UniqueConflictException}. A job in another state gives a {@link JobStateException}.
 *   <li><b>get</b>: {@code SELECT ... WHERE id = ?}. <b>list</b>: {@code SELECT ... WHERE <filters>
 *       AND (created_at, id) < (<cursor>) ORDER BY created_at DESC, id DESC LIMIT <page + 1>}; by
 *       unique key, the {@code UNION ALL} of its holder (through the unique index) and of its jobs
 *       that no longer hold it (through {@code idem_jobs_by_key}, which holds only those).
 *       <b>pending</b>: {@code SELECT count(*) FILTER (WHERE state = 2), ... WHERE unique_key = ?
 *       AND <holds the key>}.
 *   <li><b>stats</b>: {@code SELECT type, state, count(*) ... GROUP BY type, state} and {@code
 *       SELECT key, count, sum(count) OVER () FROM idem_job_duplicates ORDER BY count DESC, key
 *       LIMIT 100}, on one connection.
 *   <li><b>maintain</b>: one statement with three {@code UPDATE}s as CTEs, disjoint in its snapshot
 *       so that a job changes at most once per pass as in {@link JobTransitions#maintain}: RUNNING
 *       with {@code lease_until <= :now} to QUEUED (due now) or, with its attempts used up, DEAD,
 *       with the error of {@link JobTransitions#leaseExpiredError}; SCHEDULED, QUEUED or FAILED
 *       with {@code expires_at <= :now} to EXPIRED; SCHEDULED or FAILED with {@code run_at <= :now}
 *       to QUEUED. Each picks its rows with {@code FOR NO KEY UPDATE SKIP LOCKED}, so passes from
 *       many workers at once never wait for each other; {@code pg_notify} when a job became QUEUED.
 *   <li><b>purge</b>: {@code DELETE FROM idem_jobs WHERE created_at < ? AND state IN (3, 5, 6, 7)
 *       AND finished_at < ?} (a job that finished before the cutoff was created before it; the
 *       bound lets {@code idem_jobs_created} find the candidates). The duplicate counts stay.
 *   <li><b>subscribe</b>: {@code LISTEN "idem_jobs_<schema>"} on a connection of the {@link
 *       DataSource} that a daemon thread holds while anyone subscribes (so it is taken from the
 *       pool for that time), reading {@link org.postgresql.PGConnection#getNotifications(int)};
 *       enqueue (of a job due now), release, retry and maintain send {@code pg_notify} on that
 *       channel, delivered at commit to every process listening, this one included. After the
 *       connection broke (PostgreSQL restarted) the thread connects again and calls the listeners
 *       once, since notifications sent meanwhile are lost.
 * </ol>
 *
 * <p>Every step but enqueueAll and subscribe takes a connection from the {@link DataSource}, runs
 * in auto-commit mode (so nothing is ever half written) and gives the connection back. The
 * statements rely on READ COMMITTED (a row changed after the statement's snapshot is checked again
 * on its newest version, and {@code SKIP LOCKED} skips instead of failing), so a step sets it on
 * the connection when the pool hands out connections in another level (and restores it). A
 * statement that PostgreSQL aborts with a deadlock (possible between enqueueAll transactions) did
 * nothing and runs again. Any {@link SQLException} is thrown as a {@link StoreUnavailableException}
 * naming the server ({@code host:port/database}), the schema and the step ("claim of ...").
 *
 * <p>Times are kept in epoch milliseconds, as {@link NewJob} already cuts them. Args and results
 * are kept as text, exactly as given. PostgreSQL text cannot hold U+0000: an id, type, queue,
 * unique key, args, worker id or result with it is refused ({@link IllegalArgumentException}; there
 * is no job with such an id), and in a failure's error it is replaced by U+FFFD.
 *
 * <p>Thread-safe. {@link #close()} stops the subscriptions; the {@link DataSource} is yours to
 * close.
 */
public final class PostgresJobStore implements JobStore {

  /** How many times a statement runs before a step gives up (see the algorithm). */
  static final int MAX_TRIES = 10;

  /**
   * Sent before each claim, in its transaction: the claim must walk idem_jobs_due in order and stop
   * at its limit. A queue table's statistics are often stale (taken when every job had finished,
   * before a burst of enqueues): they then say few jobs are due, and the planner prefers a bitmap
   * scan and a sort of every due job, at each claim (measured: 140 ms per claim with 70,000 due,
   * instead of well under one). Not enable_sort = off: the merge of the queues' candidates needs a
   * sort anyway, which would then cost 10^10 in estimate, above jit_above_cost, and each claim
   * would be JIT-compiled (measured: 135 ms). JIT is off for the claim for the same reason: it is
   * planned at each execution and never runs long. (The {@code jit} setting exists from PostgreSQL
   * 11 on; the claims' {@code WITH ... AS MATERIALIZED} needs 12.)
   */
  static final String CLAIM_PLANNER_SETTINGS =
      "SET LOCAL enable_bitmapscan = off;\nSET LOCAL jit = off;\n";

  /** The most jobs of one job.enqueue_bulk statement. */
  static final int BULK_JOBS = 1000;

  /** About how many characters of args one job.enqueue_bulk statement carries. */
  static final int BULK_CHARS = 1024 * 1024;

  /** The most jobs of one round trip of job.enqueue statements (the conflicts of enqueueAll). */
  static final int BATCH_JOBS = 64;

  /**
   * About how many characters of args one enqueueAll round trip carries (a larger job goes alone),
   * so that the answers of a round trip fit in the socket buffers while it is still being sent.
   */
  static final int BATCH_CHARS = 32 * 1024;

  private static final String UNIQUE_VIOLATION = "23505";
  private static final char NUL = '\u0000';
  private static final String REPLACEMENT = "\uFFFD";

  /** The extra columns of job.enqueue: outcome, then the job, then pending counts, notified. */
  private static final int ENQUEUE_JOB_COLUMN = 2;

  private static final int ENQUEUE_PENDING_COLUMN = ENQUEUE_JOB_COLUMN + JobRows.COLUMNS;

  private final PostgresDatabase db;
  private final Clock clock;
  private final JobNotifications notifications;
  private final NamedSql enqueue;
  private final NamedSql enqueueBulk;
  private final NamedSql completeFenced;
  private final NamedSql claim;
  private final NamedSql heartbeat;
  private final NamedSql complete;
  private final NamedSql fail;
  private final NamedSql release;
  private final NamedSql cancel;
  private final NamedSql retry;
  private final NamedSql holder;
  private final NamedSql select;
  private final NamedSql list;
  private final NamedSql listKey;
  private final NamedSql pending;
  private final NamedSql statsCounts;
  private final NamedSql statsDuplicates;
  private final NamedSql maintain;
  private final NamedSql purge;

  private PostgresJobStore(Builder b, PostgresDatabase db) {
    this.db = db;
    this.clock = b.clock;
    this.notifications = new JobNotifications(db);
    this.enqueue = load("job.enqueue", b.schema);
    this.enqueueBulk = load("job.enqueue_bulk", b.schema);
    this.completeFenced = load("job.complete_fenced", b.schema);
    this.claim = load("job.claim", b.schema).customPlans().after(CLAIM_PLANNER_SETTINGS);
    this.heartbeat = load("job.heartbeat", b.schema);
    this.complete = load("job.complete", b.schema);
    this.fail = load("job.fail", b.schema);
    this.release = load("job.release", b.schema);
    this.cancel = load("job.cancel", b.schema);
    this.retry = load("job.retry", b.schema);
    this.holder = load("job.holder", b.schema);
    this.select = load("job.select", b.schema);
    this.list = load("job.list", b.schema).customPlans();
    this.listKey = load("job.list_key", b.schema).customPlans();
    this.pending = load("job.pending", b.schema);
    this.statsCounts = load("job.stats.counts", b.schema);
    this.statsDuplicates = load("job.stats.duplicates", b.schema);
    this.maintain = load("job.maintain", b.schema).customPlans();
    this.purge = load("job.purge", b.schema).customPlans();
  }

  private static NamedSql load(String name, String schema) {
    return NamedSql.load(NamedSql.JOBS, name, schema);
  }

  /** A builder of a store over {@code dataSource} (a connection pool such as HikariCP). */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** The schema of this store's tables. */
  public String schema() {
    return db.schema();
  }

  /** The LISTEN/NOTIFY channel of this store's schema: {@code idem_jobs_<schema>}. */
  public String channel() {
    return notifications.channel();
  }

  /** True while a subscription's connection listens (for tests). */
  boolean listening() {
    return notifications.listening();
  }

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  // ---------------------------------------------------------------------------------- enqueue

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException the id, type, queue, unique key or args contain U+0000
   */
  @Override
  public EnqueueResult enqueue(NewJob job) {
    check(job);
    return db.runReadCommitted(
        "enqueue of job " + job.id(),
        c -> {
          try (PreparedStatement ps = enqueue.prepare(c)) {
            return enqueueOne(ps, job);
          }
        });
  }

  /** Runs the enqueue statement until it answers (see the algorithm). */
  private EnqueueResult enqueueOne(PreparedStatement ps, NewJob job) throws SQLException {
    for (int i = 0; i < MAX_TRIES; i++) {
      bindEnqueue(ps, 0, job, now());
      try (ResultSet rs = ps.executeQuery()) {
        EnqueueResult r = rs.next() ? enqueueResult(rs) : null;
        if (r != null) {
          return r;
        }
      }
    }
    throw keptChanging("enqueue of job " + job.id(), "the job or its key");
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException a job's id, type, queue, unique key or args contain U+0000
   *     (checked before anything is stored)
   */
  @Override
  public List<EnqueueResult> enqueueAll(List<NewJob> jobs) {
    List<NewJob> all = List.copyOf(jobs);
    all.forEach(PostgresJobStore::check);
    if (all.size() == 1) {
      return List.of(enqueue(all.get(0)));
    }
    EnqueueResult[] out = new EnqueueResult[all.size()];
    Set<String> seenIds = new HashSet<>();
    Set<String> seenKeys = new HashSet<>();
    int from = 0;
    for (List<NewJob> chunk : chunks(all, BULK_JOBS, BULK_CHARS)) {
      insertBulk(chunk, from, out, seenIds, seenKeys);
      from += chunk.size();
    }
    // the jobs the bulk statements skipped (a conflict), in order, answered by their policies
    List<NewJob> rest = new ArrayList<>();
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < out.length; i++) {
      if (out[i] == null) {
        rest.add(all.get(i));
        at.add(i);
      }
    }
    List<EnqueueResult> answers = enqueueChunked(rest);
    for (int k = 0; k < answers.size(); k++) {
      out[at.get(k)] = answers.get(k);
    }
    return Arrays.asList(out);
  }

  /**
   * job.enqueue_bulk of the jobs of {@code given} (jobs {@code offset}... of the list) whose id and
   * unique key come for the first time in the list: each job inserted gets its ENQUEUED answer in
   * {@code out}; the others keep null, for job.enqueue after all bulk statements. So a job that the
   * bulk statement skipped (or left out) never meets a later job of the list that the bulk inserted
   * on its id or key: the order in which the two are written changes nothing, and the answers are
   * those of enqueues one by one. (A row inserted is also known by its id.)
   */
  private void insertBulk(
      List<NewJob> given,
      int offset,
      EnqueueResult[] out,
      Set<String> seenIds,
      Set<String> seenKeys) {
    List<NewJob> chunk = new ArrayList<>(given.size());
    List<Integer> positions = new ArrayList<>(given.size());
    for (int k = 0; k < given.size(); k++) {
      NewJob job = given.get(k);
      boolean newId = seenIds.add(job.id());
      boolean newKey = job.uniqueKey() == null || seenKeys.add(job.uniqueKey());
      if (newId && newKey) {
        chunk.add(job);
        positions.add(offset + k);
      }
    }
    if (chunk.isEmpty()) {
      return;
    }
    int n = chunk.size();
    Object[] ids = new Object[n];
    Object[] types = new Object[n];
    Object[] queues = new Object[n];
    Object[] priorities = new Object[n];
    Object[] args = new Object[n];
    Object[] states = new Object[n];
    Object[] maxAttempts = new Object[n];
    Object[] runAts = new Object[n];
    Object[] expiresAts = new Object[n];
    Object[] timeouts = new Object[n];
    Object[] uniqueKeys = new Object[n];
    Object[] uniqueStates = new Object[n];
    long nowMs = now().toEpochMilli();
    Map<String, Integer> index = new HashMap<>(n * 2);
    for (int k = 0; k < n; k++) {
      NewJob job = chunk.get(k);
      long runAt = job.runAt() == null ? nowMs : millis(job.runAt());
      ids[k] = job.id();
      types[k] = job.type();
      queues[k] = job.queue();
      priorities[k] = job.priority();
      args[k] = job.args();
      states[k] = (short) (runAt > nowMs ? JobState.SCHEDULED : JobState.QUEUED).code();
      maxAttempts[k] = job.maxAttempts();
      runAts[k] = runAt;
      expiresAts[k] = job.expiresAt() == null ? null : millis(job.expiresAt());
      timeouts[k] = job.timeout() == null ? null : job.timeout().toMillis();
      uniqueKeys[k] = job.uniqueKey();
      uniqueStates[k] = job.uniqueKey() == null ? 0 : job.uniqueMask();
      index.put(job.id(), positions.get(k));
    }
    NamedSql s = enqueueBulk;
    List<Job> inserted =
        db.runReadCommitted(
            "enqueue of " + n + " jobs from job " + chunk.get(0).id(),
            c -> {
              try (PreparedStatement ps = s.prepare(c)) {
                s.setArray(ps, "ids", "text", ids);
                s.setArray(ps, "types", "text", types);
                s.setArray(ps, "queues", "text", queues);
                s.setArray(ps, "priorities", "integer", priorities);
                s.setArray(ps, "args", "text", args);
                s.setArray(ps, "states", "smallint", states);
                s.setArray(ps, "max_attempts", "integer", maxAttempts);
                s.setArray(ps, "run_ats", "bigint", runAts);
                s.setArray(ps, "expires_ats", "bigint", expiresAts);
                s.setArray(ps, "timeouts", "bigint", timeouts);
                s.setArray(ps, "unique_keys", "text", uniqueKeys);
                s.setArray(ps, "unique_states", "integer", uniqueStates);
                s.setLong(ps, "now", nowMs);
                s.setText(ps, "channel", notifications.channel());
                return jobs(ps);
              }
            });
    for (Job j : inserted) {
      Integer at = index.get(j.id());
      if (at != null) {
        out[at] = new EnqueueResult(EnqueueOutcome.ENQUEUED, j, null);
      }
    }
  }

  /** The jobs through job.enqueue, in chunks sent in one round trip each. */
  private List<EnqueueResult> enqueueChunked(List<NewJob> all) {
    List<EnqueueResult> out = new ArrayList<>(all.size());
    for (List<NewJob> chunk : chunks(all, BATCH_JOBS, BATCH_CHARS)) {
      out.addAll(
          db.transaction(
              "enqueue of " + chunk.size() + " jobs from job " + chunk.get(0).id(),
              c -> enqueueChunk(c, chunk)));
    }
    return out;
  }

  /**
   * {@code all} cut, in order, into chunks of at most {@code maxJobs} jobs and about {@code
   * maxChars} characters of args (a larger job goes alone).
   */
  private static List<List<NewJob>> chunks(List<NewJob> all, int maxJobs, long maxChars) {
    List<List<NewJob>> out = new ArrayList<>();
    int from = 0;
    while (from < all.size()) {
      int to = from;
      long chars = 0;
      while (to < all.size() && to - from < maxJobs) {
        long weight = all.get(to).args().length() + 512L;
        if (to > from && chars + weight > maxChars) {
          break;
        }
        chars += weight;
        to++;
      }
      out.add(all.subList(from, to));
      from = to;
    }
    return out;
  }

  /** The chunk in one round trip, else statement by statement; in the caller's transaction. */
  private List<EnqueueResult> enqueueChunk(Connection c, List<NewJob> chunk) throws SQLException {
    if (chunk.size() > 1) {
      List<EnqueueResult> piped = enqueuePipelined(c, chunk);
      if (piped != null) {
        return piped;
      }
      c.rollback();
    }
    List<EnqueueResult> out = new ArrayList<>(chunk.size());
    try (PreparedStatement ps = enqueue.prepare(c)) {
      for (NewJob job : chunk) {
        out.add(enqueueOne(ps, job));
      }
    }
    return out;
  }

  /** The answers of the chunk's statements sent at once; null when one must run again. */
  private @Nullable List<EnqueueResult> enqueuePipelined(Connection c, List<NewJob> chunk)
      throws SQLException {
    Instant now = now();
    List<EnqueueResult> out = new ArrayList<>(chunk.size());
    try (PreparedStatement ps = c.prepareStatement(enqueue.repeatedSql(chunk.size()))) {
      for (int k = 0; k < chunk.size(); k++) {
        bindEnqueue(ps, k, chunk.get(k), now);
      }
      boolean hasResult = ps.execute();
      for (int k = 0; k < chunk.size(); k++) {
        if (!hasResult) {
          throw new SQLException("enqueue statement " + k + " of the round trip gave no result");
        }
        EnqueueResult r;
        try (ResultSet rs = ps.getResultSet()) {
          r = rs.next() ? enqueueResult(rs) : null;
        }
        if (r == null) {
          return null;
        }
        out.add(r);
        hasResult = ps.getMoreResults();
      }
    }
    return out;
  }

  private void bindEnqueue(PreparedStatement ps, int copy, NewJob job, Instant now)
      throws SQLException {
    long nowMs = now.toEpochMilli();
    long runAt = job.runAt() == null ? nowMs : millis(job.runAt());
    NamedSql s = enqueue;
    s.setText(ps, copy, "id", job.id());
    s.setText(ps, copy, "type", job.type());
    s.setText(ps, copy, "queue", job.queue());
    s.setInt(ps, copy, "priority", job.priority());
    s.setText(ps, copy, "args", job.args());
    s.setInt(ps, copy, "state", (runAt > nowMs ? JobState.SCHEDULED : JobState.QUEUED).code());
    s.setInt(ps, copy, "max_attempts", job.maxAttempts());
    s.setLong(ps, copy, "run_at", runAt);
    s.setLongOrNull(
        ps, copy, "expires_at", job.expiresAt() == null ? null : millis(job.expiresAt()));
    s.setLongOrNull(
        ps, copy, "timeout_ms", job.timeout() == null ? null : job.timeout().toMillis());
    s.setText(ps, copy, "unique_key", job.uniqueKey());
    s.setInt(ps, copy, "unique_states", job.uniqueKey() == null ? 0 : job.uniqueMask());
    s.setLong(ps, copy, "now", nowMs);
    s.setText(ps, copy, "policy", job.onConflict().name());
    s.setText(ps, copy, "channel", notifications.channel());
  }

  /** The answer in the current row of job.enqueue; null when the statement must run again. */
  private static @Nullable EnqueueResult enqueueResult(ResultSet rs) throws SQLException {
    String outcome = rs.getString(1);
    Job row = JobRows.job(rs, ENQUEUE_JOB_COLUMN);
    switch (outcome) {
      case "ENQUEUED":
        return new EnqueueResult(EnqueueOutcome.ENQUEUED, row, null);
      case "REPLACED":
        return new EnqueueResult(EnqueueOutcome.REPLACED, row, null);
      case "IGNORED":
        return new EnqueueResult(EnqueueOutcome.IGNORED, row, null);
      case "REJECTED":
        PendingSummary summary = null;
        if (row.uniqueKey() != null) {
          int p = ENQUEUE_PENDING_COLUMN;
          summary =
              new PendingSummary(
                  row.uniqueKey(), rs.getLong(p), rs.getLong(p + 1), rs.getLong(p + 2));
        }
        return new EnqueueResult(EnqueueOutcome.REJECTED, row, summary);
      case "CHANGED":
        return null;
      default:
        throw new IllegalStateException("unknown enqueue outcome " + outcome);
    }
  }

  private static void check(NewJob job) {
    Objects.requireNonNull(job, "job");
    PostgresText.requireNoNul("id", job.id());
    PostgresText.requireNoNul("type", job.type());
    PostgresText.requireNoNul("queue", job.queue());
    PostgresText.requireNoNul("args", job.args());
    if (job.uniqueKey() != null) {
      PostgresText.requireNoNul("uniqueKey", job.uniqueKey());
    }
  }

  // ------------------------------------------------------------------------------------ claim

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException the worker id contains U+0000
   */
  @Override
  public List<Job> claim(JobClaim request) {
    Objects.requireNonNull(request, "claim");
    PostgresText.requireNoNul("workerId", request.workerId());
    List<String> queues = withoutNul(request.queues());
    List<String> types = withoutNul(new ArrayList<>(request.types()));
    if (queues.isEmpty() || (!request.types().isEmpty() && types.isEmpty())) {
      return List.of(); // no job has a name with U+0000
    }
    NamedSql statement = claim;
    Instant now = now();
    // one transaction: the planner settings, then the claim, in one round trip; then COMMIT
    List<Job> jobs =
        db.transaction(
            "claim of up to "
                + request.limit()
                + " jobs of queues "
                + queues
                + " by worker "
                + request.workerId(),
            c -> {
              try (PreparedStatement ps = statement.prepare(c)) {
                statement.setLong(ps, "now", now.toEpochMilli());
                statement.setTextArray(ps, "queues", queues);
                statement.setTextArray(ps, "types", types); // empty: any type
                statement.setInt(ps, "limit", request.limit());
                statement.setLong(ps, "lease_until", now.plus(request.lease()).toEpochMilli());
                statement.setText(ps, "worker_id", request.workerId());
                return lastResultJobs(ps);
              }
            });
    jobs.sort(JobTransitions.CLAIM_ORDER);
    return jobs;
  }

  private static List<String> withoutNul(List<String> names) {
    List<String> out = new ArrayList<>(names.size());
    for (String n : names) {
      if (!PostgresText.hasNul(n) && !out.contains(n)) {
        out.add(n);
      }
    }
    return out;
  }

  // -------------------------------------------------------------------- fenced transitions

  @Override
  public boolean heartbeat(String id, long token, Duration lease) {
    Objects.requireNonNull(id, "id");
    Durations.requirePositive("lease", lease);
    if (PostgresText.hasNul(id)) {
      return false;
    }
    Instant now = now();
    return db.runReadCommitted(
        "heartbeat of job " + id,
        c -> {
          try (PreparedStatement ps = heartbeat.prepare(c)) {
            heartbeat.setLong(ps, "lease_until", now.plus(lease).toEpochMilli());
            heartbeat.setLong(ps, "now", now.toEpochMilli());
            heartbeat.setText(ps, "id", id);
            heartbeat.setLong(ps, "token", token);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException {@code result} contains U+0000
   */
  @Override
  public Optional<Job> complete(String id, long token, @Nullable String result) {
    Objects.requireNonNull(id, "id");
    if (result != null && PostgresText.hasNul(result)) {
      throw new IllegalArgumentException(
          "the result of job " + id + " contains U+0000, which PostgreSQL text cannot hold");
    }
    if (PostgresText.hasNul(id)) {
      return Optional.empty();
    }
    Instant now = now();
    return db.runReadCommitted(
        "complete of job " + id,
        c -> {
          try (PreparedStatement ps = complete.prepare(c)) {
            complete.setText(ps, "result", result);
            complete.setLong(ps, "now", now.toEpochMilli());
            complete.setText(ps, "id", id);
            complete.setLong(ps, "token", token);
            return first(ps);
          }
        });
  }

  /**
   * {@inheritDoc} One round trip and one transaction for all of them: a JDBC batch of the fenced
   * {@code UPDATE} (job.complete_fenced); the job after each completion that applied is {@link
   * JobTransitions#complete} of the claimed job, which is the row written.
   *
   * @throws IllegalArgumentException a result contains U+0000 (checked before anything changes)
   */
  @Override
  public List<Optional<Job>> completeAll(List<JobCompletion> completions) {
    List<JobCompletion> all = List.copyOf(completions);
    if (all.isEmpty()) {
      return List.of();
    }
    for (JobCompletion c : all) {
      if (c.result() != null && PostgresText.hasNul(c.result())) {
        throw new IllegalArgumentException(
            "the result of job " + c.id() + " contains U+0000, which PostgreSQL text cannot hold");
      }
    }
    Instant now = now();
    int[] counts =
        db.runReadCommitted(
            "complete of " + all.size() + " jobs from job " + all.get(0).id(),
            c -> {
              try (PreparedStatement ps = completeFenced.prepare(c)) {
                for (JobCompletion done : all) {
                  // an id with U+0000 names no job: it completes nothing, as with complete
                  completeFenced.setText(ps, "id", PostgresText.hasNul(done.id()) ? "" : done.id());
                  completeFenced.setLong(ps, "token", done.token());
                  completeFenced.setText(ps, "result", done.result());
                  completeFenced.setLong(ps, "now", now.toEpochMilli());
                  ps.addBatch();
                }
                return ps.executeBatch();
              }
            });
    List<Optional<Job>> out = new ArrayList<>(all.size());
    for (int k = 0; k < all.size(); k++) {
      JobCompletion c = all.get(k);
      out.add(
          counts[k] == 1
              ? Optional.ofNullable(JobTransitions.complete(c.job(), c.token(), c.result(), now))
              : Optional.empty());
    }
    return out;
  }

  @Override
  public Optional<Job> fail(String id, long token, String error, @Nullable Instant retryAt) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(error, "error");
    if (PostgresText.hasNul(id)) {
      return Optional.empty();
    }
    Instant now = now();
    String kept =
        PostgresText.hasNul(error) ? error.replace(String.valueOf(NUL), REPLACEMENT) : error;
    return db.runReadCommitted(
        "fail of job " + id,
        c -> {
          try (PreparedStatement ps = fail.prepare(c)) {
            fail.setLongOrNull(ps, "retry_at", retryAt == null ? null : millis(retryAt));
            fail.setText(ps, "error", kept);
            fail.setLong(ps, "now", now.toEpochMilli());
            fail.setText(ps, "id", id);
            fail.setLong(ps, "token", token);
            return first(ps);
          }
        });
  }

  @Override
  public Optional<Job> release(String id, long token) {
    Objects.requireNonNull(id, "id");
    if (PostgresText.hasNul(id)) {
      return Optional.empty();
    }
    Instant now = now();
    return db.runReadCommitted(
        "release of job " + id,
        c -> {
          try (PreparedStatement ps = release.prepare(c)) {
            release.setLong(ps, "now", now.toEpochMilli());
            release.setText(ps, "id", id);
            release.setLong(ps, "token", token);
            release.setText(ps, "channel", notifications.channel());
            return first(ps);
          }
        });
  }

  // ---------------------------------------------------------------------- cancel and retry

  @Override
  public Optional<Job> cancel(String id) {
    Objects.requireNonNull(id, "id");
    if (PostgresText.hasNul(id)) {
      return Optional.empty();
    }
    String what = "cancel of job " + id;
    return db.runReadCommitted(
        what,
        c -> {
          try (PreparedStatement ps = cancel.prepare(c)) {
            for (int i = 0; i < MAX_TRIES; i++) {
              cancel.setLong(ps, "now", now().toEpochMilli());
              cancel.setText(ps, "id", id);
              try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                  return Optional.<Job>empty();
                }
                Job job = JobRows.job(rs);
                if (rs.getBoolean(JobRows.COLUMNS + 1) || job.state().isFinal()) {
                  return Optional.of(job);
                }
                // unfinished in the snapshot, yet not cancelled: it finished meanwhile
              }
            }
          }
          throw keptChanging(what, "the job");
        });
  }

  /**
   * {@inheritDoc}
   *
   * @throws JobStateException the job is SCHEDULED, QUEUED, RUNNING or SUCCEEDED
   * @throws UniqueConflictException another job holds its unique key
   */
  @Override
  public Optional<Job> retry(String id) {
    Objects.requireNonNull(id, "id");
    if (PostgresText.hasNul(id)) {
      return Optional.empty();
    }
    String what = "retry of job " + id;
    return db.runReadCommitted(
        what,
        c -> {
          try (PreparedStatement ps = retry.prepare(c)) {
            for (int i = 0; i < MAX_TRIES; i++) {
              retry.setLong(ps, "now", now().toEpochMilli());
              retry.setText(ps, "id", id);
              retry.setText(ps, "channel", notifications.channel());
              try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                  return Optional.<Job>empty();
                }
                Job job = JobRows.job(rs);
                if (rs.getBoolean(JobRows.COLUMNS + 1)) {
                  return Optional.of(job);
                }
                if (!isRetryable(job.state())) {
                  throw new JobStateException(job, "retry");
                }
                // retryable in the snapshot, yet not retried: it changed meanwhile
              } catch (SQLException e) {
                if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                  throw e;
                }
                Job holding = holderOf(c, id);
                if (holding != null) {
                  throw new UniqueConflictException(id, holding);
                }
                // the holder finished meanwhile: try again
              }
            }
          }
          throw keptChanging(what, "the job or its key");
        });
  }

  private static boolean isRetryable(JobState s) {
    return s == JobState.FAILED
        || s == JobState.DEAD
        || s == JobState.CANCELLED
        || s == JobState.EXPIRED;
  }

  private @Nullable Job holderOf(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = holder.prepare(c)) {
      holder.setText(ps, "id", id);
      return first(ps).orElse(null);
    }
  }

  // ----------------------------------------------------------------------------- reading

  @Override
  public Optional<Job> get(String id) {
    Objects.requireNonNull(id, "id");
    if (PostgresText.hasNul(id)) {
      return Optional.empty();
    }
    return db.runReadCommitted(
        "get of job " + id,
        c -> {
          try (PreparedStatement ps = select.prepare(c)) {
            select.setText(ps, "id", id);
            return first(ps);
          }
        });
  }

  @Override
  public JobPage list(JobQuery query) {
    Objects.requireNonNull(query, "query");
    if (PostgresText.hasNul(query.type())
        || PostgresText.hasNul(query.queue())
        || PostgresText.hasNul(query.uniqueKey())) {
      return new JobPage(List.of(), null); // no job has a name with U+0000
    }
    JobQuery.Cursor after = query.after() == null ? null : JobQuery.Cursor.parse(query.after());
    if (after != null) {
      PostgresText.requireNoNul("page cursor id", after.id());
    }
    int mask = query.states().isEmpty() ? 0xFF : JobState.mask(query.states());
    NamedSql statement = query.uniqueKey() == null ? list : listKey;
    List<Job> rows =
        db.runReadCommitted(
            "list of jobs",
            c -> {
              try (PreparedStatement ps = statement.prepare(c)) {
                statement.setInt(ps, "state_mask", mask);
                statement.setText(ps, "type", query.type());
                statement.setText(ps, "queue", query.queue());
                if (query.uniqueKey() != null) {
                  statement.setText(ps, "unique_key", query.uniqueKey());
                }
                statement.setLongOrNull(
                    ps, "after_at", after == null ? null : after.createdAtMillis());
                statement.setText(ps, "after_id", after == null ? null : after.id());
                statement.setInt(ps, "limit", query.limit() + 1);
                return jobs(ps);
              }
            });
    if (rows.size() <= query.limit()) {
      return new JobPage(rows, null);
    }
    List<Job> page = rows.subList(0, query.limit());
    return new JobPage(page, JobQuery.Cursor.after(page.get(page.size() - 1)).toString());
  }

  @Override
  public PendingSummary pending(String uniqueKey) {
    Objects.requireNonNull(uniqueKey, "uniqueKey");
    if (PostgresText.hasNul(uniqueKey)) {
      return PendingSummary.none(uniqueKey);
    }
    return db.runReadCommitted(
        "pending jobs of key " + uniqueKey,
        c -> {
          try (PreparedStatement ps = pending.prepare(c)) {
            pending.setText(ps, "unique_key", uniqueKey);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return new PendingSummary(uniqueKey, rs.getLong(1), rs.getLong(2), rs.getLong(3));
            }
          }
        });
  }

  @Override
  public JobStats stats() {
    return db.runReadCommitted(
        "job statistics",
        c -> {
          Map<JobState, Long> byState = new EnumMap<>(JobState.class);
          for (JobState s : JobState.values()) {
            byState.put(s, 0L);
          }
          Map<String, Map<JobState, Long>> byType = new HashMap<>();
          try (PreparedStatement ps = statsCounts.prepare(c);
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              JobState state = JobState.ofCode(rs.getInt(2));
              long count = rs.getLong(3);
              byType
                  .computeIfAbsent(rs.getString(1), t -> new EnumMap<>(JobState.class))
                  .put(state, count);
              byState.merge(state, count, Long::sum);
            }
          }
          Map<String, Map<JobState, Long>> types = new HashMap<>();
          byType.forEach((t, counts) -> types.put(t, Map.copyOf(counts)));
          Map<String, Long> duplicates = new LinkedHashMap<>();
          long total = 0;
          try (PreparedStatement ps = statsDuplicates.prepare(c)) {
            statsDuplicates.setInt(ps, "limit", JobStats.TOP_KEYS);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                duplicates.put(rs.getString(1), rs.getLong(2));
                total = rs.getLong(3);
              }
            }
          }
          return new JobStats(byState, types, duplicates, total);
        });
  }

  // ------------------------------------------------------------------------- maintenance

  @Override
  public MaintenanceResult maintain() {
    Instant now = now();
    return db.runReadCommitted(
        "maintenance of jobs",
        c -> {
          try (PreparedStatement ps = maintain.prepare(c)) {
            maintain.setLong(ps, "now", now.toEpochMilli());
            maintain.setText(ps, "channel", notifications.channel());
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return new MaintenanceResult(rs.getInt(1), rs.getInt(2), rs.getInt(3), rs.getInt(4));
            }
          }
        });
  }

  @Override
  public int purge(Instant finishedBefore) {
    Objects.requireNonNull(finishedBefore, "finishedBefore");
    long before = millis(finishedBefore);
    return db.runReadCommitted(
        "purge of jobs finished before " + finishedBefore,
        c -> {
          try (PreparedStatement ps = purge.prepare(c)) {
            purge.setLong(ps, "finished_before", before);
            return ps.executeUpdate();
          }
        });
  }

  // ------------------------------------------------------------------------- subscribers

  /**
   * {@inheritDoc}
   *
   * <p>The first subscription starts a daemon thread that takes a connection from the {@link
   * DataSource} for as long as any subscription is open, and waits (up to 10 s) until it listens;
   * when PostgreSQL cannot be reached, the thread keeps trying in the background. Listeners run on
   * that thread, once per notification, and once after each reconnection.
   */
  @Override
  public AutoCloseable subscribe(Runnable listener) {
    return notifications.subscribe(listener);
  }

  /** Stops the subscriptions; the {@link DataSource} belongs to the caller, who closes it. */
  @Override
  public void close() {
    notifications.close();
  }

  @Override
  public String toString() {
    return "PostgresJobStore[" + db.describe() + "]";
  }

  // ------------------------------------------------------------------------------ helpers

  private static List<Job> jobs(PreparedStatement ps) throws SQLException {
    List<Job> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(JobRows.job(rs));
      }
    }
    return out;
  }

  /** The jobs of the one result set among the results of a round trip of several statements. */
  private static List<Job> lastResultJobs(PreparedStatement ps) throws SQLException {
    List<Job> out = null;
    boolean isResultSet = ps.execute();
    while (true) {
      if (isResultSet) {
        out = new ArrayList<>();
        try (ResultSet rs = ps.getResultSet()) {
          while (rs.next()) {
            out.add(JobRows.job(rs));
          }
        }
      } else if (ps.getUpdateCount() == -1) {
        break;
      }
      isResultSet = ps.getMoreResults();
    }
    if (out == null) {
      throw new SQLException("the claim statement returned no rows result");
    }
    return out;
  }

  private static Optional<Job> first(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(JobRows.job(rs)) : Optional.empty();
    }
  }

  /** Epoch milliseconds of {@code t}, cut to the millisecond. */
  private static long millis(Instant t) {
    return t.toEpochMilli();
  }

  private StoreUnavailableException keptChanging(String what, String thing) {
    return new StoreUnavailableException(
        db.describe()
            + ": "
            + what
            + " failed: "
            + thing
            + " kept changing under "
            + MAX_TRIES
            + " statements",
        null);
  }

  /**
   * Builds a {@link PostgresJobStore}; the settings are {@link PostgresStoreBuilder}'s. Not
   * thread-safe.
   */
  public static final class Builder extends PostgresStoreBuilder<Builder, PostgresJobStore> {

    private Builder(DataSource dataSource) {
      super(dataSource);
    }

    @Override
    PostgresJobStore create(PostgresDatabase db) {
      return new PostgresJobStore(this, db);
    }
  }
}
