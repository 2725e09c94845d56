package io.idem.sqlite;

import io.idem.internal.Durations;
import io.idem.jdbc.SqlStatements;
import io.idem.job.EnqueueOutcome;
import io.idem.job.EnqueueResult;
import io.idem.job.Job;
import io.idem.job.JobPage;
import io.idem.job.JobQuery;
import io.idem.job.JobState;
import io.idem.job.JobStats;
import io.idem.job.MaintenanceResult;
import io.idem.job.PendingSummary;
import io.idem.job.UniqueConflictException;
import io.idem.spi.JobClaim;
import io.idem.spi.JobCompletion;
import io.idem.spi.JobStore;
import io.idem.spi.JobTransitions;
import io.idem.spi.NewJob;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The {@link JobStore} of a {@link SqliteDatabase}: one row per job in {@code idem_jobs}, one row
 * per key that prevented duplicates in {@code idem_job_duplicates}; statements in {@code
 * io/idem/sqlite/jobs.sql}, with the semantics of {@link JobTransitions}. Times are the database
 * clock's epoch milliseconds, read once a step has the connection (inside its transaction for the
 * steps that have one); {@code state} is {@link JobState#code()} and {@code unique_states} is
 * {@link JobState#mask}.
 *
 * <p><b>Uniqueness is the database's</b>: the partial unique index {@code idem_jobs_unique_holder
 * ON idem_jobs (unique_key) WHERE unique_key IS NOT NULL AND ((unique_states >> state) & 1) = 1}
 * admits one holder per key. Enqueue inserts with {@code ON CONFLICT DO NOTHING}, so the index (or
 * the primary key on {@code id}) decides, and a retry that would give a key a second holder fails
 * on it; no step reads in Java to decide whether it may write a holder.
 *
 * <p>Algorithm:
 *
 * <ol>
 *   <li><b>enqueue</b>: one {@code BEGIN IMMEDIATE} transaction (it holds the file's write lock, so
 *       no other process or thread can interleave): {@code job.insert} writes the job {@link
 *       JobTransitions#create} made, {@code INSERT ... ON CONFLICT DO NOTHING RETURNING}; a
 *       returned row means ENQUEUED. Else the job that conflicted is read: {@code job.select} by
 *       id, else {@code job.select.holder} by unique key; {@link JobTransitions#enqueue} decides by
 *       the conflict policy; a REPLACE of a waiting job is {@code job.rewrite} ({@code UPDATE ...
 *       WHERE id = ? AND state = <the state read>}); {@code duplicate.count} counts one duplicate
 *       for the existing job's unique key (its id when it has none); a rejection reads {@code
 *       job.pending} for the existing job's key (none when it has no key); {@code COMMIT}.
 *   <li><b>enqueueAll</b>: the same for each job, in order, in one transaction: a later job of the
 *       list conflicts with an earlier one as with any stored job. A failure rolls the whole batch
 *       back.
 *   <li><b>claim</b>: one {@code BEGIN IMMEDIATE} transaction running one statement, {@code
 *       job.claim} (one queue) or {@code job.claim.queues} (several, passed as a JSON array to
 *       {@code json_each}): {@code UPDATE ... WHERE id IN (SELECT ... due jobs in claim order LIMIT
 *       ?) RETURNING}, setting RUNNING, attempt + 1, token + 1, the lease and the worker. The
 *       returned jobs are sorted by {@link JobTransitions#CLAIM_ORDER}. The partial index {@code
 *       idem_jobs_due} (waiting jobs by queue, priority descending, run time, age, id) gives the
 *       order of one queue without sorting.
 *   <li><b>heartbeat</b>, <b>complete</b>, <b>fail</b>, <b>release</b>: one fenced statement each,
 *       {@code job.heartbeat}, {@code job.complete}, {@code job.fail}, {@code job.release}: {@code
 *       UPDATE ... WHERE id = ? AND state = 2 AND token = ? RETURNING}; no row means the token no
 *       longer holds the job, and nothing changed.
 *   <li><b>cancel</b>: one transaction: {@code job.cancel} ({@code UPDATE ... WHERE id = ? AND
 *       state IN (SCHEDULED, QUEUED, RUNNING, FAILED) RETURNING}); when no row, {@code job.select}
 *       returns the finished job unchanged (or nothing).
 *   <li><b>retry</b>: one transaction: {@code job.select}; {@link JobTransitions#retry} decides
 *       (throwing {@link io.idem.job.JobStateException}); {@code job.rewrite}. When the index
 *       refuses the row (another job holds the key) {@code job.select.holder} names the holder in a
 *       {@link UniqueConflictException}, and nothing changed.
 *   <li><b>get</b>: {@code job.select}. <b>list</b>: {@code job.list} (newest first, after the
 *       cursor, one row more than the page to know whether another page follows). <b>pending</b>:
 *       {@code job.pending}. <b>stats</b>: {@code stats.jobs}, {@code stats.duplicates}, {@code
 *       stats.duplicates.total}.
 *   <li><b>maintain</b>: one transaction with the sweeps of {@link JobTransitions#maintain}, in an
 *       order that changes each job at most once per pass, as the function does: {@code
 *       maintain.expire} (waiting jobs past their expiry), {@code maintain.promote} (SCHEDULED and
 *       FAILED jobs whose run time came), {@code maintain.recover.dead} and {@code
 *       maintain.recover.queue} (RUNNING jobs whose lease passed, DEAD when their attempts are used
 *       up, else QUEUED); the update counts are the answer.
 *   <li><b>purge</b>: {@code job.purge}, one {@code DELETE} of final jobs finished before the time.
 * </ol>
 *
 * <p><b>Wake-ups</b>: {@link #subscribe subscribers} are called in this process, on the calling
 * thread right after the commit, when an enqueue (or enqueueAll) stored or rewrote a job due now,
 * after a retry or a release, and after a maintenance pass that recovered or promoted jobs. SQLite
 * cannot tell other processes: workers in other processes on the same file (or on another {@link
 * SqliteDatabase} of it) find new jobs at their next poll, so their poll interval bounds the delay.
 *
 * <p>Text is stored as given (SQLite's {@code BINARY} collation: case and accents count), as UTF-8;
 * a string with an unpaired surrogate cannot survive UTF-8 and comes back with a replacement
 * character. A timeout is kept in milliseconds (at least 1 ms); times are truncated to the
 * millisecond before the state is decided.
 *
 * <p>Thread-safe: every step runs alone on the database's connection; the steps that write are one
 * transaction or one statement, atomic for other processes on the file too.
 */
public final class SqliteJobStore implements JobStore {

  private static final Logger LOG = LoggerFactory.getLogger(SqliteJobStore.class);

  private static final SqlStatements SQL =
      SqlStatements.load(SqliteJobStore.class, "io/idem/sqlite/jobs.sql");
  private static final String INSERT = SQL.get("job.insert");
  private static final String SELECT = SQL.get("job.select");
  private static final String SELECT_HOLDER = SQL.get("job.select.holder");
  private static final String REWRITE = SQL.get("job.rewrite");
  private static final String COUNT_DUPLICATE = SQL.get("duplicate.count");
  private static final String PENDING = SQL.get("job.pending");
  private static final String CLAIM = SQL.get("job.claim");
  private static final String CLAIM_QUEUES = SQL.get("job.claim.queues");
  private static final String HEARTBEAT = SQL.get("job.heartbeat");
  private static final String COMPLETE = SQL.get("job.complete");
  private static final String FAIL = SQL.get("job.fail");
  private static final String RELEASE = SQL.get("job.release");
  private static final String CANCEL = SQL.get("job.cancel");
  private static final String LIST = SQL.get("job.list");
  private static final String STATS_JOBS = SQL.get("stats.jobs");
  private static final String STATS_DUPLICATES = SQL.get("stats.duplicates");
  private static final String STATS_DUPLICATES_TOTAL = SQL.get("stats.duplicates.total");
  private static final String EXPIRE = SQL.get("maintain.expire");
  private static final String PROMOTE = SQL.get("maintain.promote");
  private static final String RECOVER_DEAD = SQL.get("maintain.recover.dead");
  private static final String RECOVER_QUEUE = SQL.get("maintain.recover.queue");
  private static final String PURGE = SQL.get("job.purge");

  private final SqliteDatabase db;
  private final Clock clock;
  private final boolean ownsDatabase;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  SqliteJobStore(SqliteDatabase db, boolean ownsDatabase) {
    this.db = db;
    this.clock = db.clock();
    this.ownsDatabase = ownsDatabase;
  }

  /**
   * A store over its own database at {@code path}; closing the store closes the database.
   * Equivalent to {@code SqliteDatabase.builder(path).clock(clock).open().jobStore()} with the
   * database closed by the store.
   */
  public static SqliteJobStore open(Path path, Clock clock) {
    return new SqliteJobStore(SqliteDatabase.builder(path).clock(clock).open(), true);
  }

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  // ---- enqueue --------------------------------------------------------------------------------

  @Override
  public EnqueueResult enqueue(NewJob job) {
    Objects.requireNonNull(job, "job");
    EnqueueResult r =
        db.inTransaction("enqueue of job " + job.id(), d -> enqueueIn(d, atMillis(job), now()));
    if (isDueNow(r)) {
      wake();
    }
    return r;
  }

  @Override
  public List<EnqueueResult> enqueueAll(List<NewJob> jobs) {
    List<NewJob> batch = new ArrayList<>(jobs.size());
    for (NewJob j : jobs) {
      batch.add(atMillis(Objects.requireNonNull(j, "job")));
    }
    if (batch.isEmpty()) {
      return List.of();
    }
    List<EnqueueResult> out =
        db.inTransaction(
            "enqueue of " + batch.size() + " jobs",
            d -> {
              Instant now = now();
              List<EnqueueResult> results = new ArrayList<>(batch.size());
              for (NewJob j : batch) {
                results.add(enqueueIn(d, j, now));
              }
              return results;
            });
    if (out.stream().anyMatch(SqliteJobStore::isDueNow)) {
      wake();
    }
    return out;
  }

  /** One enqueue inside the caller's transaction. */
  private static EnqueueResult enqueueIn(SqliteDatabase d, NewJob n, Instant now)
      throws SQLException {
    PreparedStatement insert = d.prepare(INSERT);
    bindNew(insert, JobTransitions.create(n, now));
    Job inserted = single(insert);
    if (inserted != null) {
      return new EnqueueResult(EnqueueOutcome.ENQUEUED, inserted, null);
    }
    // the primary key or the unique index refused the row: read who holds it
    Job byId = select(d, n.id());
    Job holder = byId == null && n.uniqueKey() != null ? holder(d, n.uniqueKey()) : null;
    if (byId == null && holder == null) {
      throw new SQLException("job " + n.id() + " was refused, but no job has its id or its key");
    }
    JobTransitions.EnqueueDecision decision = JobTransitions.enqueue(byId, holder, n, now);
    Job existing = byId != null ? byId : holder;
    Job answer = decision.answer();
    Job write = decision.write();
    if (write != null) {
      answer = rewrite(d, write, existing.state());
      if (answer == null) {
        throw new SQLException("job " + existing.id() + " changed under the write lock");
      }
    }
    PreparedStatement count = d.prepare(COUNT_DUPLICATE);
    count.setString(1, existing.uniqueKey() != null ? existing.uniqueKey() : existing.id());
    count.setLong(2, now.toEpochMilli());
    count.executeUpdate();
    String existingKey = existing.uniqueKey();
    PendingSummary pending =
        decision.outcome() == EnqueueOutcome.REJECTED && existingKey != null
            ? pending(d, existingKey)
            : null;
    return new EnqueueResult(decision.outcome(), answer, pending);
  }

  private static boolean isDueNow(EnqueueResult r) {
    return (r.outcome() == EnqueueOutcome.ENQUEUED || r.outcome() == EnqueueOutcome.REPLACED)
        && r.job().state() == JobState.QUEUED;
  }

  // ---- workers --------------------------------------------------------------------------------

  @Override
  public List<Job> claim(JobClaim claim) {
    Objects.requireNonNull(claim, "claim");
    boolean oneQueue = claim.queues().size() == 1;
    String types = jsonArray(claim.types());
    List<Job> claimed =
        db.inTransaction(
            "claim of jobs of queues " + claim.queues(),
            d -> {
              Instant now = now();
              PreparedStatement ps = d.prepare(oneQueue ? CLAIM : CLAIM_QUEUES);
              ps.setLong(1, now.plus(claim.lease()).toEpochMilli());
              ps.setString(2, claim.workerId());
              ps.setLong(3, now.toEpochMilli());
              ps.setString(4, oneQueue ? claim.queues().get(0) : jsonArray(claim.queues()));
              ps.setString(5, types);
              ps.setInt(6, claim.limit());
              return all(ps);
            });
    claimed.sort(JobTransitions.CLAIM_ORDER);
    return claimed;
  }

  @Override
  public boolean heartbeat(String id, long token, Duration lease) {
    Objects.requireNonNull(id, "id");
    Durations.requirePositive("lease", lease);
    return db.withConnection(
        "heartbeat of job " + id,
        d -> {
          Instant now = now();
          PreparedStatement ps = d.prepare(HEARTBEAT);
          ps.setLong(1, now.plus(lease).toEpochMilli());
          ps.setLong(2, now.toEpochMilli());
          ps.setString(3, id);
          ps.setLong(4, token);
          return ps.executeUpdate() == 1;
        });
  }

  @Override
  public Optional<Job> complete(String id, long token, @Nullable String result) {
    Objects.requireNonNull(id, "id");
    return Optional.ofNullable(
        db.withConnection(
            "complete of job " + id,
            d -> {
              PreparedStatement ps = d.prepare(COMPLETE);
              ps.setString(1, result);
              ps.setLong(2, now().toEpochMilli());
              ps.setString(3, id);
              ps.setLong(4, token);
              return single(ps);
            }));
  }

  /**
   * {@inheritDoc} All of them in one {@code BEGIN IMMEDIATE} transaction (the fenced {@code UPDATE
   * ... RETURNING} of complete for each): one lock of the file and one commit for the batch.
   */
  @Override
  public List<Optional<Job>> completeAll(List<JobCompletion> completions) {
    List<JobCompletion> all = List.copyOf(completions);
    if (all.isEmpty()) {
      return List.of();
    }
    return db.inTransaction(
        "complete of " + all.size() + " jobs from job " + all.get(0).id(),
        d -> {
          long nowMillis = now().toEpochMilli();
          List<Optional<Job>> out = new ArrayList<>(all.size());
          PreparedStatement ps = d.prepare(COMPLETE);
          for (JobCompletion c : all) {
            ps.setString(1, c.result());
            ps.setLong(2, nowMillis);
            ps.setString(3, c.id());
            ps.setLong(4, c.token());
            out.add(Optional.ofNullable(single(ps)));
          }
          return out;
        });
  }

  @Override
  public Optional<Job> fail(String id, long token, String error, @Nullable Instant retryAt) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(error, "error");
    return Optional.ofNullable(
        db.withConnection(
            "fail of job " + id,
            d -> {
              PreparedStatement ps = d.prepare(FAIL);
              setInstant(ps, 1, retryAt);
              ps.setString(2, error);
              ps.setLong(3, now().toEpochMilli());
              ps.setString(4, id);
              ps.setLong(5, token);
              return single(ps);
            }));
  }

  @Override
  public Optional<Job> release(String id, long token) {
    Objects.requireNonNull(id, "id");
    Job released =
        db.withConnection(
            "release of job " + id,
            d -> {
              PreparedStatement ps = d.prepare(RELEASE);
              ps.setLong(1, now().toEpochMilli());
              ps.setString(2, id);
              ps.setLong(3, token);
              return single(ps);
            });
    if (released != null) {
      wake();
    }
    return Optional.ofNullable(released);
  }

  // ---- administration -------------------------------------------------------------------------

  @Override
  public Optional<Job> cancel(String id) {
    Objects.requireNonNull(id, "id");
    return Optional.ofNullable(
        db.inTransaction(
            "cancel of job " + id,
            d -> {
              PreparedStatement ps = d.prepare(CANCEL);
              ps.setLong(1, now().toEpochMilli());
              ps.setString(2, id);
              Job cancelled = single(ps);
              return cancelled != null ? cancelled : select(d, id);
            }));
  }

  @Override
  public Optional<Job> retry(String id) {
    Objects.requireNonNull(id, "id");
    Job retried =
        db.inTransaction(
            "retry of job " + id,
            d -> {
              Job j = select(d, id);
              if (j == null) {
                return null;
              }
              Job queued = JobTransitions.retry(j, now()); // throws JobStateException
              try {
                Job written = rewrite(d, queued, j.state());
                if (written == null) {
                  throw new SQLException("job " + id + " changed under the write lock");
                }
                return written;
              } catch (SQLiteException e) {
                String key = j.uniqueKey();
                if (e.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE && key != null) {
                  Job other = holder(d, key);
                  if (other != null) {
                    throw new UniqueConflictException(id, other);
                  }
                }
                throw e;
              }
            });
    if (retried != null) {
      wake();
    }
    return Optional.ofNullable(retried);
  }

  @Override
  public Optional<Job> get(String id) {
    Objects.requireNonNull(id, "id");
    return Optional.ofNullable(db.withConnection("get of job " + id, d -> select(d, id)));
  }

  @Override
  public JobPage list(JobQuery query) {
    Objects.requireNonNull(query, "query");
    JobQuery.Cursor after = query.after() == null ? null : JobQuery.Cursor.parse(query.after());
    List<Job> rows =
        db.withConnection(
            "list of jobs",
            d -> {
              PreparedStatement ps = d.prepare(LIST);
              ps.setInt(1, JobState.mask(query.states()));
              ps.setString(2, query.type());
              ps.setString(3, query.queue());
              ps.setString(4, query.uniqueKey());
              if (after == null) {
                ps.setNull(5, Types.BIGINT);
                ps.setNull(6, Types.VARCHAR);
              } else {
                ps.setLong(5, after.createdAtMillis());
                ps.setString(6, after.id());
              }
              ps.setInt(7, query.limit() + 1);
              return all(ps);
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
    return db.withConnection("pending of unique key " + uniqueKey, d -> pending(d, uniqueKey));
  }

  @Override
  public JobStats stats() {
    return db.withConnection(
        "stats of jobs",
        d -> {
          Map<JobState, Long> byState = new EnumMap<>(JobState.class);
          for (JobState s : JobState.values()) {
            byState.put(s, 0L);
          }
          Map<String, Map<JobState, Long>> byType = new HashMap<>();
          try (ResultSet rs = d.prepare(STATS_JOBS).executeQuery()) {
            while (rs.next()) {
              JobState state = JobState.ofCode(rs.getInt(2));
              long n = rs.getLong(3);
              byState.merge(state, n, Long::sum);
              byType
                  .computeIfAbsent(rs.getString(1), t -> new EnumMap<>(JobState.class))
                  .put(state, n);
            }
          }
          Map<String, Map<JobState, Long>> types = new HashMap<>();
          byType.forEach((t, m) -> types.put(t, Map.copyOf(m)));
          Map<String, Long> top = new LinkedHashMap<>();
          PreparedStatement dup = d.prepare(STATS_DUPLICATES);
          dup.setInt(1, JobStats.TOP_KEYS);
          try (ResultSet rs = dup.executeQuery()) {
            while (rs.next()) {
              top.put(rs.getString(1), rs.getLong(2));
            }
          }
          long total;
          try (ResultSet rs = d.prepare(STATS_DUPLICATES_TOTAL).executeQuery()) {
            total = rs.next() ? rs.getLong(1) : 0;
          }
          return new JobStats(byState, types, top, total);
        });
  }

  @Override
  public MaintenanceResult maintain() {
    MaintenanceResult m =
        db.inTransaction(
            "maintenance of jobs",
            d -> {
              long now = now().toEpochMilli();
              int expired = sweep(d, EXPIRE, now);
              int promoted = sweep(d, PROMOTE, now);
              int dead = sweep(d, RECOVER_DEAD, now);
              int recovered = sweep(d, RECOVER_QUEUE, now);
              return new MaintenanceResult(recovered, dead, expired, promoted);
            });
    if (m.recovered() + m.promoted() > 0) {
      wake();
    }
    return m;
  }

  private static int sweep(SqliteDatabase d, String sql, long now) throws SQLException {
    PreparedStatement ps = d.prepare(sql);
    ps.setLong(1, now);
    return ps.executeUpdate();
  }

  @Override
  public int purge(Instant finishedBefore) {
    Objects.requireNonNull(finishedBefore, "finishedBefore");
    return db.withConnection(
        "purge of finished jobs",
        d -> {
          PreparedStatement ps = d.prepare(PURGE);
          ps.setLong(1, finishedBefore.toEpochMilli());
          return ps.executeUpdate();
        });
  }

  /**
   * Calls {@code listener} after each enqueue that stored or rewrote a job due now, each retry,
   * each release and each maintenance pass that recovered or promoted jobs made through this store,
   * on the thread that made it, after its commit. Other processes (and other {@link SqliteDatabase}
   * instances on the same file) are not heard: their workers find the jobs at their next poll.
   */
  @Override
  public AutoCloseable subscribe(Runnable listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  private void wake() {
    for (Runnable l : listeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        LOG.warn("A job listener failed", e);
      }
    }
  }

  /** Closes the database when this store was opened with {@link #open}; else does nothing. */
  @Override
  public void close() {
    if (ownsDatabase) {
      db.close();
    }
  }

  @Override
  public String toString() {
    return "SqliteJobStore[" + db.path() + "]";
  }

  // ---- rows -----------------------------------------------------------------------------------

  /** {@code n} with its times at millisecond precision, as the row keeps them. */
  private static NewJob atMillis(NewJob n) {
    Instant runAt = millis(n.runAt());
    Instant expiresAt = millis(n.expiresAt());
    if (Objects.equals(runAt, n.runAt()) && Objects.equals(expiresAt, n.expiresAt())) {
      return n;
    }
    return new NewJob(
        n.id(),
        n.type(),
        n.queue(),
        n.priority(),
        n.args(),
        runAt,
        expiresAt,
        n.timeout(),
        n.maxAttempts(),
        n.uniqueKey(),
        n.uniqueStates(),
        n.onConflict());
  }

  private static @Nullable Instant millis(@Nullable Instant t) {
    return t == null ? null : Instant.ofEpochMilli(t.toEpochMilli());
  }

  private static @Nullable Job select(SqliteDatabase d, String id) throws SQLException {
    PreparedStatement ps = d.prepare(SELECT);
    ps.setString(1, id);
    return single(ps);
  }

  private static @Nullable Job holder(SqliteDatabase d, String uniqueKey) throws SQLException {
    PreparedStatement ps = d.prepare(SELECT_HOLDER);
    ps.setString(1, uniqueKey);
    return single(ps);
  }

  private static PendingSummary pending(SqliteDatabase d, String uniqueKey) throws SQLException {
    PreparedStatement ps = d.prepare(PENDING);
    ps.setString(1, uniqueKey);
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return PendingSummary.none(uniqueKey);
      }
      return new PendingSummary(uniqueKey, rs.getLong(1), rs.getLong(2), rs.getLong(3));
    }
  }

  /** Writes {@code j}'s changing fields over the row with its id while it is in {@code was}. */
  private static @Nullable Job rewrite(SqliteDatabase d, Job j, JobState was) throws SQLException {
    PreparedStatement ps = d.prepare(REWRITE);
    ps.setInt(1, j.priority());
    ps.setString(2, j.args());
    ps.setInt(3, j.state().code());
    ps.setInt(4, j.attempt());
    ps.setInt(5, j.maxAttempts());
    ps.setLong(6, j.runAt().toEpochMilli());
    setInstant(ps, 7, j.expiresAt());
    setTimeout(ps, 8, j.timeout());
    setInstant(ps, 9, j.leaseUntil());
    ps.setString(10, j.result());
    ps.setLong(11, j.updatedAt().toEpochMilli());
    setInstant(ps, 12, j.finishedAt());
    ps.setString(13, j.id());
    ps.setInt(14, was.code());
    return single(ps);
  }

  /** Binds every column of {@code j}, in the order of {@code job.insert}. */
  private static void bindNew(PreparedStatement ps, Job j) throws SQLException {
    ps.setString(1, j.id());
    ps.setString(2, j.type());
    ps.setString(3, j.queue());
    ps.setInt(4, j.priority());
    ps.setString(5, j.args());
    ps.setInt(6, j.state().code());
    ps.setInt(7, j.attempt());
    ps.setInt(8, j.maxAttempts());
    ps.setLong(9, j.token());
    ps.setLong(10, j.runAt().toEpochMilli());
    setInstant(ps, 11, j.expiresAt());
    setTimeout(ps, 12, j.timeout());
    setInstant(ps, 13, j.leaseUntil());
    ps.setString(14, j.workerId());
    ps.setString(15, j.uniqueKey());
    ps.setInt(16, JobState.mask(j.uniqueStates()));
    ps.setString(17, j.result());
    ps.setString(18, j.lastError());
    ps.setLong(19, j.createdAt().toEpochMilli());
    ps.setLong(20, j.updatedAt().toEpochMilli());
    setInstant(ps, 21, j.finishedAt());
  }

  /** Runs {@code ps} and reads its one row (all of it, so that a write completes), or null. */
  private static @Nullable Job single(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      Job j = rs.next() ? job(rs) : null;
      while (rs.next()) {
        // a statement returning rows finishes its work only when stepped to the end
      }
      return j;
    }
  }

  private static List<Job> all(PreparedStatement ps) throws SQLException {
    List<Job> jobs = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        jobs.add(job(rs));
      }
    }
    return jobs;
  }

  /** The job at the current row (columns in the order of {@link Job}'s components). */
  private static Job job(ResultSet rs) throws SQLException {
    long timeout = rs.getLong(12);
    Duration timeoutOrNull = rs.wasNull() ? null : Duration.ofMillis(timeout);
    return new Job(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getInt(4),
        rs.getString(5),
        JobState.ofCode(rs.getInt(6)),
        rs.getInt(7),
        rs.getInt(8),
        rs.getLong(9),
        Instant.ofEpochMilli(rs.getLong(10)),
        instant(rs, 11),
        timeoutOrNull,
        instant(rs, 13),
        rs.getString(14),
        rs.getString(15),
        JobState.ofMask(rs.getInt(16)),
        rs.getString(17),
        rs.getString(18),
        Instant.ofEpochMilli(rs.getLong(19)),
        Instant.ofEpochMilli(rs.getLong(20)),
        instant(rs, 21));
  }

  private static @Nullable Instant instant(ResultSet rs, int column) throws SQLException {
    long ms = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(ms);
  }

  private static void setInstant(PreparedStatement ps, int index, @Nullable Instant t)
      throws SQLException {
    if (t == null) {
      ps.setNull(index, Types.BIGINT);
    } else {
      ps.setLong(index, t.toEpochMilli());
    }
  }

  private static void setTimeout(PreparedStatement ps, int index, @Nullable Duration timeout)
      throws SQLException {
    if (timeout == null) {
      ps.setNull(index, Types.BIGINT);
    } else {
      ps.setLong(index, Math.max(1, timeout.toMillis()));
    }
  }

  /** {@code values} as a JSON array of strings, for {@code json_each}. */
  static String jsonArray(Collection<String> values) {
    StringBuilder b = new StringBuilder("[");
    for (String v : values) {
      if (b.length() > 1) {
        b.append(',');
      }
      b.append('"');
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        if (c == '"' || c == '\\') {
          b.append('\\').append(c);
        } else if (c < 0x20) {
          b.append(String.format("\\u%04x", (int) c));
        } else {
          b.append(c);
        }
      }
      b.append('"');
    }
    return b.append(']').toString();
  }
}
