package io.idem.redis;

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
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link JobStore} on Redis (standalone, or a master found through Sentinel; tested on 6.2 and
 * 7.0), through one Lettuce connection (and one publish/subscribe connection once somebody {@link
 * #subscribe subscribes}). Each step that changes jobs is one Lua script, so it is atomic and
 * answers in one round trip; the scripts give the answers of {@link JobTransitions}, which the
 * contract suite and a randomized comparison with {@link io.idem.memory.InMemoryJobStore} check.
 *
 * <pre>{@code
 * JobStore jobs = RedisJobStore.builder("redis://localhost:6379").build();
 * }</pre>
 *
 * <p><b>Keys, and one slot per store.</b> Every key of a store starts with the hash tag {@code
 * {prefix:jobs}} (B below), so every script touches one cluster slot: <b>all the jobs of a store
 * live in one slot</b>, hence on one Redis node, which is what makes uniqueness and claims atomic.
 * Use several prefixes to spread independent job sets over a cluster. The keys:
 *
 * <ul>
 *   <li>{@code B:j:<id>}: a job, a hash with the fields {@code id, type, queue, priority, args,
 *       state} (the {@link JobState#code() code}){@code , attempt, max_attempts, token, run_at,
 *       expires_at, timeout} (ISO-8601){@code , lease_until, worker_id, unique_key, unique_mask,
 *       result, last_error, created_at, updated_at, finished_at} and {@code ord} (the id in claim
 *       order, below); times in epoch milliseconds of the store's clock, a null an absent field;
 *   <li>{@code B:u:<key>}: the id of the job that holds unique key {@code key}; it exists exactly
 *       while that job's state is in its unique states (every script that changes a state sets or
 *       deletes it in the same step);
 *   <li>{@code B:k:<key>} (the ids of the jobs with unique key {@code key}) and {@code B:kc:<key>}
 *       (how many of them are in each state: the {@link #pending} summary);
 *   <li>{@code B:r:<n>:<queue>:<type>}: the ready jobs of a queue and type (n is the byte length of
 *       the queue), a sorted set whose scores are all 0 and whose members sort byte-wise in {@link
 *       JobTransitions#CLAIM_ORDER}: {@code 2^31-1-priority} in 10 digits, {@code run_at} and
 *       {@code created_at} + 2^52 in 16 digits each, the id's UTF-16 code units in hex (so that
 *       ties go by {@link String#compareTo}), a space and the id; {@code B:qt:<queue>}: the types
 *       of a queue that may have ready jobs;
 *   <li>{@code B:sched} (SCHEDULED and FAILED jobs by {@code run_at}, not yet ready), {@code
 *       B:lazy} (those a claim made ready: their state changes only when {@link #maintain} promotes
 *       them, as in every store), {@code B:exp} (waiting jobs by {@code expires_at}), {@code B:run}
 *       (RUNNING jobs by {@code lease_until}), {@code B:fin} (final jobs by {@code finished_at}),
 *       {@code B:created} (every job by {@code created_at});
 *   <li>{@code B:n}, {@code B:nt} (jobs per state, and per state and type), {@code B:dup} and
 *       {@code B:dupn} (duplicates prevented per key, and in all), kept by the scripts;
 *   <li>the channel {@code B:wake}, on which scripts publish the publishing store's id when a job
 *       became due.
 * </ul>
 *
 * <p><b>Algorithm</b> ("now" is the store clock's epoch milliseconds, passed to every script; every
 * job script starts with the functions of {@code job-lib.lua}, whose {@code save} writes a job's
 * changed fields, moves it between the indexes above, updates the counters, and sets or deletes its
 * unique key's holder string as the job starts or stops holding it):
 *
 * <ol>
 *   <li><b>enqueue</b>, <b>enqueueAll</b>: {@code job-enqueue.lua}, for a batch of jobs in order
 *       (one job for enqueue; up to 100 jobs or 1 MiB of args per call for enqueueAll, the calls
 *       one after the other): for each job, (1) load the job with its id, else the holder named by
 *       {@code B:u:<key>}, checking that it still holds the key; (2) none: write the new job
 *       (SCHEDULED when run_at is after now, else QUEUED), index it, count it, take the key, add it
 *       to {@code B:created} and {@code B:k:<key>}; (3) else count one duplicate for the existing
 *       job's key (its id when none); IGNORE answers the existing job; (4) REPLACE of a waiting job
 *       rewrites args, priority, run time, expiry and timeout ({@link JobTransitions#replace}); (5)
 *       otherwise REJECTED, with the pending counts of the existing job's key. Then {@code PUBLISH
 *       B:wake} when a job became due now.
 *   <li><b>claim</b>: {@code job-claim.lua}: (1) move the SCHEDULED and FAILED jobs whose run time
 *       came from {@code B:sched} to their ready sets and to {@code B:lazy}, up to 10,000 per
 *       claim, earliest first (so a burst of due jobs is made ready over several claims, and until
 *       then a claim may take a lower priority job before a higher one still waiting in {@code
 *       B:sched}); (2) list the ready sets of the claim's queues and types (every type of {@code
 *       B:qt:<queue>} when the claim names none); (3) repeatedly take the least head of those sets
 *       (a byte-wise comparison: Lua's own follows the server's locale) until the limit: an expired
 *       job just leaves the ready set (maintenance expires it), one not due (the clock went back)
 *       is put back at the end; (4) each other job becomes RUNNING with attempt + 1, token + 1,
 *       {@code lease_until = now + lease} and the worker ({@link JobTransitions#claim}). Jobs of
 *       other types stay where they are, so a claim filtered by type loses none.
 *   <li><b>heartbeat</b>: {@code job-heartbeat.lua}: unless the job is RUNNING with the token,
 *       answer 0; else set {@code lease_until} and {@code updated_at}, re-score it in {@code
 *       B:run}.
 *   <li><b>complete</b>, <b>fail</b>, <b>release</b>: {@code job-complete.lua}, {@code
 *       job-fail.lua}, {@code job-release.lua}: (1) unless the job is RUNNING with the token,
 *       answer nothing; (2) save {@link JobTransitions#complete}, {@link JobTransitions#fail}
 *       (FAILED at the retry time with attempts left, else DEAD) or {@link JobTransitions#release}
 *       (QUEUED now, the attempt given back; then {@code PUBLISH}).
 *   <li><b>cancel</b>: {@code job-cancel.lua}: a missing job answers nothing, a final one itself;
 *       else save it CANCELLED.
 *   <li><b>retry</b>: {@code job-retry.lua}: (1) a missing job answers nothing; (2) unless DEAD,
 *       CANCELLED, EXPIRED or FAILED, answer its state ({@link JobStateException}); (3) when the
 *       queued job would hold its unique key and another job holds it, answer that holder ({@link
 *       UniqueConflictException}); (4) else save {@link JobTransitions#retry} and {@code PUBLISH}.
 *   <li><b>maintain</b>: {@code job-maintain.lua}, up to 1,000 jobs per index per call, called
 *       again while an index had more: (1) waiting jobs of {@code B:exp} past their expiry become
 *       EXPIRED; (2) SCHEDULED and FAILED jobs of {@code B:lazy} and {@code B:sched} whose run time
 *       came become QUEUED; (3) RUNNING jobs of {@code B:run} whose lease passed become QUEUED now,
 *       or DEAD with their attempts used up, with {@link JobTransitions#leaseExpiredError} as last
 *       error. In that order, each job changes at most once per call, as {@link
 *       JobTransitions#maintain} applies once per pass. Then {@code PUBLISH} when a job was
 *       recovered or promoted.
 *   <li><b>purge</b>: {@code job-purge.lua}, up to 1,000 jobs per call, called again while a call
 *       was full: the final jobs of {@code B:fin} that finished before the cutoff are deleted with
 *       their index entries, counts, id-set entries and holder strings.
 *   <li><b>get</b>: {@code HGETALL} (one command, so atomic). <b>pending</b>: {@code HMGET} of
 *       {@code B:kc:<key>}. <b>stats</b>: {@code job-stats.lua} reads every counter in one step.
 *   <li><b>list</b>: {@code job-list.lua}: with a unique key, every job of {@code B:k:<key>} that
 *       passes the filters, in one step (so a listing never shows two holders of a key); else the
 *       ids of {@code B:created} newest first, in chunks that always end with a whole millisecond,
 *       filtered in the script, which stops at the end of a millisecond once it has enough jobs for
 *       the page; the page is sorted (created_at, id) newest first in Java. A listing looks at
 *       about {@value #LIST_MAX_SCAN} jobs at most: when a filter is that rare, the page holds
 *       fewer jobs than asked and its cursor continues where the scan stopped.
 * </ol>
 *
 * <p><b>Wake-ups.</b> {@link #subscribe} opens a publish/subscribe connection on {@code B:wake}
 * (Lettuce subscribes it again after a reconnect, and the store then wakes its listeners, since
 * messages may have been missed). Listeners run on one store thread for messages of other stores;
 * after this store's own enqueue, retry, release or maintain they run on the calling thread, and
 * the store's own messages are ignored.
 *
 * <p><b>Time.</b> Every time is the store clock's, to the millisecond (run and expiry times are
 * truncated to it), within 2^52 ms of 1970. Processes sharing a store need clocks that agree to
 * well within a lease.
 *
 * <p><b>Failures.</b> Every Lettuce failure (not connected, timed out after {@link
 * Builder#commandTimeout commandTimeout}, a command error such as OOM or READONLY) is thrown as
 * {@link StoreUnavailableException} naming the server and the step ("claim from queues [q]").
 * Scripts are atomic, so a failure never leaves half a job. A claim whose answer is lost holds its
 * jobs until their leases pass, when {@link #maintain} recovers them; an enqueue whose answer is
 * lost may have stored the job (enqueue it again: the id or key answers as a duplicate). Run Redis
 * with {@code maxmemory-policy noeviction}.
 *
 * <p><b>Connection.</b> As every store of this package: a store built from a URI owns its {@link
 * RedisClient}; one built with {@link #builder(RedisClient, RedisURI)} opens its own connections on
 * that client ({@link ClientOptions.DisconnectedBehavior#REJECT_COMMANDS} recommended) and closes
 * only those.
 *
 * <p>Defaults: prefix {@value #DEFAULT_PREFIX}, command timeout 2 s, the system UTC clock.
 * Thread-safe: one multiplexed connection serves every thread.
 */
public final class RedisJobStore implements JobStore {

  private static final Logger log = LoggerFactory.getLogger(RedisJobStore.class);

  /** The default key prefix (the same as {@link RedisIdempotencyStore}'s; the keys differ). */
  public static final String DEFAULT_PREFIX = RedisStoreBuilder.DEFAULT_PREFIX;

  /** The default timeout of each Redis command (and of connecting). */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = RedisStoreBuilder.DEFAULT_COMMAND_TIMEOUT;

  /** The most jobs one listing looks at. */
  public static final int LIST_MAX_SCAN = 10_000;

  /** The most due scheduled jobs one claim makes ready. */
  static final int PROMOTE_PER_CLAIM = 10_000;

  private static final int LIST_CHUNK = 1000;
  private static final int BATCH = 1000;
  private static final int ENQUEUE_CHUNK_JOBS = 100;
  private static final long ENQUEUE_CHUNK_CHARS = 1L << 20;
  private static final int ENQUEUE_FIELDS = 13;

  private static final Comparator<Job> NEWEST_FIRST =
      Comparator.comparing(Job::createdAt).thenComparing(Job::id).reversed();

  private final String base;
  private final String prefix;
  private final Clock clock;
  private final RedisStoreConnection conn;
  private final int listMaxScan;
  private final String storeId = UUID.randomUUID().toString();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean wakeQueued = new AtomicBoolean();
  private final Object pubSubLock = new Object();
  private @Nullable StatefulRedisPubSubConnection<String, String> pubSub;
  private volatile @Nullable ExecutorService notifier;
  private boolean closed;

  private RedisJobStore(String prefix, Clock clock, RedisStoreConnection conn, int listMaxScan) {
    this.prefix = prefix;
    this.listMaxScan = listMaxScan;
    this.base = keyBase(prefix);
    this.clock = clock;
    this.conn = conn;
  }

  /** The hash tag every key of the store of {@code prefix} starts with: {@code {prefix:jobs}}. */
  static String keyBase(String prefix) {
    return "{" + prefix + ":jobs}";
  }

  /** A builder for a store on the server at {@code uri}, e.g. {@code redis://localhost:6379}. */
  public static Builder builder(String uri) {
    Objects.requireNonNull(uri, "uri");
    return builder(RedisURI.create(uri));
  }

  /** A builder for a store on the server at {@code uri}, with a client of its own. */
  public static Builder builder(RedisURI uri) {
    return new Builder(null, Objects.requireNonNull(uri, "uri"));
  }

  /**
   * A builder for a store that opens its own connections to {@code uri} on {@code client} (which
   * stays the caller's: the store closes only its connections). The URI is asked for because a
   * {@link RedisClient} does not tell its own, and the store names the server in its errors.
   */
  public static Builder builder(RedisClient client, RedisURI uri) {
    return new Builder(
        Objects.requireNonNull(client, "client"), Objects.requireNonNull(uri, "uri"));
  }

  // ---- enqueue ------------------------------------------------------------------------------

  @Override
  public EnqueueResult enqueue(NewJob job) {
    Objects.requireNonNull(job, "job");
    List<EnqueueResult> r = enqueueChunk("enqueue of job " + job.id(), List.of(job), now());
    wakeIfDue(r);
    return r.get(0);
  }

  @Override
  public List<EnqueueResult> enqueueAll(List<NewJob> jobs) {
    Objects.requireNonNull(jobs, "jobs");
    jobs.forEach(j -> Objects.requireNonNull(j, "job"));
    String now = now();
    List<EnqueueResult> out = new ArrayList<>(jobs.size());
    int from = 0;
    while (from < jobs.size()) {
      int to = from;
      long chars = 0;
      while (to < jobs.size()
          && to - from < ENQUEUE_CHUNK_JOBS
          && (to == from || chars + jobs.get(to).args().length() <= ENQUEUE_CHUNK_CHARS)) {
        chars += jobs.get(to).args().length();
        to++;
      }
      try {
        out.addAll(
            enqueueChunk(
                "enqueue of " + jobs.size() + " jobs (from job " + jobs.get(from).id() + ")",
                jobs.subList(from, to),
                now));
      } finally {
        wakeIfDue(out);
      }
      from = to;
    }
    return out;
  }

  private List<EnqueueResult> enqueueChunk(String op, List<NewJob> jobs, String now) {
    List<String> args = new ArrayList<>(4 + jobs.size() * ENQUEUE_FIELDS);
    args.add(base);
    args.add(now);
    args.add(storeId);
    args.add(Integer.toString(jobs.size()));
    for (NewJob n : jobs) {
      args.add(n.id());
      args.add(n.type());
      args.add(n.queue());
      args.add(Integer.toString(n.priority()));
      args.add(n.args());
      args.add(n.runAt() == null ? now : JobFields.millis("runAt", n.runAt()));
      args.add(n.expiresAt() == null ? "" : JobFields.millis("expiresAt", n.expiresAt()));
      args.add(n.timeout() == null ? "" : n.timeout().toString());
      args.add(Integer.toString(n.maxAttempts()));
      args.add(n.uniqueKey() == null ? "" : n.uniqueKey());
      args.add(Integer.toString(n.uniqueKey() == null ? 0 : n.uniqueMask()));
      args.add(n.onConflict().name());
      args.add(JobFields.order(n.id()));
    }
    List<Object> reply =
        conn.script(
            op,
            RedisScript.JOB_ENQUEUE,
            ScriptOutputType.MULTI,
            new String[] {base + ":created"},
            args.toArray(String[]::new));
    if (reply == null || reply.size() != jobs.size()) {
      throw new IllegalStateException("job-enqueue.lua answered " + reply + " for " + op);
    }
    List<EnqueueResult> out = new ArrayList<>(jobs.size());
    for (int i = 0; i < jobs.size(); i++) {
      out.add(toEnqueueResult(jobs.get(i), list(reply.get(i))));
    }
    return out;
  }

  private EnqueueResult toEnqueueResult(NewJob n, List<Object> r) {
    EnqueueOutcome outcome = EnqueueOutcome.valueOf(String.valueOf(r.get(0)));
    Job job = JobFields.fromFlat(list(r.get(1)), jobKey(n.id()));
    PendingSummary pending = null;
    if (outcome == EnqueueOutcome.REJECTED && r.size() > 2 && r.get(2) != null) {
      List<Object> p = list(r.get(2));
      pending =
          new PendingSummary(
              Objects.requireNonNull(job.uniqueKey()),
              number(p.get(0)),
              number(p.get(1)),
              number(p.get(2)));
    }
    return new EnqueueResult(outcome, job, pending);
  }

  private void wakeIfDue(List<EnqueueResult> results) {
    for (EnqueueResult r : results) {
      if ((r.outcome() == EnqueueOutcome.ENQUEUED || r.outcome() == EnqueueOutcome.REPLACED)
          && r.job().state() == JobState.QUEUED) {
        wakeHere();
        return;
      }
    }
  }

  // ---- claims and the fenced steps -----------------------------------------------------------

  @Override
  public List<Job> claim(JobClaim claim) {
    Objects.requireNonNull(claim, "claim");
    Instant now = nowInstant();
    List<String> args = new ArrayList<>();
    args.add(base);
    args.add(millis(now));
    args.add(JobFields.millis("leaseUntil", now.plus(claim.lease())));
    args.add(claim.workerId());
    args.add(Integer.toString(claim.limit()));
    args.add(Integer.toString(claim.queues().size()));
    args.addAll(claim.queues());
    args.add(Integer.toString(claim.types().size()));
    args.addAll(claim.types());
    args.add(Integer.toString(PROMOTE_PER_CLAIM));
    List<Object> reply =
        conn.script(
            "claim from queues " + claim.queues(),
            RedisScript.JOB_CLAIM,
            ScriptOutputType.MULTI,
            new String[] {base + ":sched"},
            args.toArray(String[]::new));
    List<Job> out = new ArrayList<>(reply == null ? 0 : reply.size());
    if (reply != null) {
      for (Object flat : reply) {
        out.add(JobFields.fromFlat(list(flat), base + ":j:?"));
      }
    }
    return out;
  }

  @Override
  public boolean heartbeat(String id, long token, Duration lease) {
    Objects.requireNonNull(id, "id");
    Durations.requirePositive("lease", lease);
    Instant now = nowInstant();
    Long applied =
        conn.script(
            "heartbeat of job " + id,
            RedisScript.JOB_HEARTBEAT,
            ScriptOutputType.INTEGER,
            new String[] {jobKey(id)},
            base,
            millis(now),
            id,
            Long.toString(token),
            JobFields.millis("leaseUntil", now.plus(lease)));
    return applied != null && applied == 1L;
  }

  @Override
  public Optional<Job> complete(String id, long token, @Nullable String result) {
    Objects.requireNonNull(id, "id");
    return jobOrEmpty(
        id,
        conn.script(
            "complete of job " + id,
            RedisScript.JOB_COMPLETE,
            ScriptOutputType.MULTI,
            new String[] {jobKey(id)},
            base,
            now(),
            id,
            Long.toString(token),
            result == null ? "0" : "1",
            result == null ? "" : result));
  }

  /**
   * {@inheritDoc} The completions' scripts are sent one after the other without waiting (pipelined
   * on the store's connection, one round trip), then their answers read in order; each script is
   * still one atomic step.
   */
  @Override
  public List<Optional<Job>> completeAll(List<JobCompletion> completions) {
    List<JobCompletion> all = List.copyOf(completions);
    if (all.isEmpty()) {
      return List.of();
    }
    String now = now();
    List<CompletableFuture<List<Object>>> sent = new ArrayList<>(all.size());
    for (JobCompletion c : all) {
      sent.add(
          conn.send(
              RedisScript.JOB_COMPLETE,
              ScriptOutputType.MULTI,
              new String[] {jobKey(c.id())},
              base,
              now,
              c.id(),
              Long.toString(c.token()),
              c.result() == null ? "0" : "1",
              c.result() == null ? "" : c.result()));
    }
    long deadline = conn.deadline();
    List<Optional<Job>> out = new ArrayList<>(all.size());
    for (int k = 0; k < all.size(); k++) {
      String id = all.get(k).id();
      out.add(jobOrEmpty(id, conn.awaitUntil("complete of job " + id, sent.get(k), deadline)));
    }
    return out;
  }

  @Override
  public Optional<Job> fail(String id, long token, String error, @Nullable Instant retryAt) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(error, "error");
    return jobOrEmpty(
        id,
        conn.script(
            "fail of job " + id,
            RedisScript.JOB_FAIL,
            ScriptOutputType.MULTI,
            new String[] {jobKey(id)},
            base,
            now(),
            id,
            Long.toString(token),
            error,
            retryAt == null ? "" : JobFields.millis("retryAt", retryAt)));
  }

  @Override
  public Optional<Job> release(String id, long token) {
    Objects.requireNonNull(id, "id");
    Optional<Job> released =
        jobOrEmpty(
            id,
            conn.script(
                "release of job " + id,
                RedisScript.JOB_RELEASE,
                ScriptOutputType.MULTI,
                new String[] {jobKey(id)},
                base,
                now(),
                id,
                Long.toString(token),
                storeId));
    if (released.isPresent()) {
      wakeHere();
    }
    return released;
  }

  @Override
  public Optional<Job> cancel(String id) {
    Objects.requireNonNull(id, "id");
    return jobOrEmpty(
        id,
        conn.script(
            "cancel of job " + id,
            RedisScript.JOB_CANCEL,
            ScriptOutputType.MULTI,
            new String[] {jobKey(id)},
            base,
            now(),
            id));
  }

  @Override
  public Optional<Job> retry(String id) {
    Objects.requireNonNull(id, "id");
    List<Object> reply =
        conn.script(
            "retry of job " + id,
            RedisScript.JOB_RETRY,
            ScriptOutputType.MULTI,
            new String[] {jobKey(id)},
            base,
            now(),
            id,
            storeId);
    if (reply == null || reply.isEmpty()) {
      throw new IllegalStateException("job-retry.lua answered " + reply + " for job " + id);
    }
    String status = String.valueOf(reply.get(0));
    switch (status) {
      case "MISSING":
        return Optional.empty();
      case "STATE":
        throw new JobStateException(JobFields.fromFlat(list(reply.get(1)), jobKey(id)), "retry");
      case "CONFLICT":
        Job holder = JobFields.fromFlat(list(reply.get(2)), base + ":u:?");
        throw new UniqueConflictException(id, holder);
      case "OK":
        Job queued = JobFields.fromFlat(list(reply.get(1)), jobKey(id));
        wakeHere();
        return Optional.of(queued);
      default:
        throw new IllegalStateException("job-retry.lua answered " + reply + " for job " + id);
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  @Override
  public Optional<Job> get(String id) {
    Objects.requireNonNull(id, "id");
    String key = jobKey(id);
    Map<String, String> fields = conn.call("get of job " + id, () -> conn.commands().hgetall(key));
    if (fields == null || fields.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(JobFields.toJob(fields, key));
  }

  @Override
  public JobPage list(JobQuery query) {
    Objects.requireNonNull(query, "query");
    JobQuery.Cursor after = query.after() == null ? null : JobQuery.Cursor.parse(query.after());
    String mask = Integer.toString(JobState.mask(query.states()));
    String type = query.type() == null ? "" : query.type();
    String queue = query.queue() == null ? "" : query.queue();
    List<Job> found = new ArrayList<>();
    if (query.uniqueKey() != null) {
      List<Object> reply = listScript(mask, type, queue, "key", query.uniqueKey(), "0", "0");
      addJobs(found, reply.get(1), after);
      return page(found, query.limit());
    }
    boolean filtered = !query.states().isEmpty() || query.type() != null || query.queue() != null;
    int chunk = filtered ? Math.min(LIST_CHUNK, listMaxScan) : query.limit() + 1;
    String max = after == null ? "+inf" : Long.toString(after.createdAtMillis());
    int looked = 0;
    while (true) {
      String want = Integer.toString(query.limit() + 1 - found.size());
      List<Object> reply =
          listScript(mask, type, queue, "scan", max, Integer.toString(chunk), want);
      addJobs(found, reply.get(1), after);
      String low = String.valueOf(reply.get(0));
      if (low.isEmpty() || found.size() > query.limit()) {
        return page(found, query.limit());
      }
      looked += chunk;
      if (looked >= listMaxScan) {
        // a rare filter: return what was found, and a cursor where the scan stopped (the whole
        // millisecond "low" was looked at, so the cursor excludes all of it)
        found.sort(NEWEST_FIRST);
        String minId = null;
        for (Object o : list(reply.get(2))) {
          String id = String.valueOf(o);
          if (minId == null || id.compareTo(minId) < 0) {
            minId = id;
          }
        }
        long lowMillis = (long) Double.parseDouble(low);
        return new JobPage(
            found, new JobQuery.Cursor(lowMillis, Objects.requireNonNull(minId)).toString());
      }
      max = "(" + low;
    }
  }

  private List<Object> listScript(
      String mask, String type, String queue, String mode, String from, String chunk, String want) {
    List<Object> reply =
        conn.script(
            "list of jobs",
            RedisScript.JOB_LIST,
            ScriptOutputType.MULTI,
            new String[] {base + ":created"},
            base,
            now(),
            mask,
            type,
            queue,
            mode,
            from,
            chunk,
            want);
    if (reply == null || reply.size() != 3) {
      throw new IllegalStateException("job-list.lua answered " + reply);
    }
    return reply;
  }

  private void addJobs(List<Job> found, Object flats, JobQuery.@Nullable Cursor after) {
    for (Object flat : list(flats)) {
      Job j = JobFields.fromFlat(list(flat), base + ":j:?");
      if (after == null || after.precedes(j)) {
        found.add(j);
      }
    }
  }

  private static JobPage page(List<Job> found, int limit) {
    found.sort(NEWEST_FIRST);
    boolean more = found.size() > limit;
    List<Job> jobs = more ? found.subList(0, limit) : found;
    return new JobPage(
        jobs, more ? JobQuery.Cursor.after(jobs.get(jobs.size() - 1)).toString() : null);
  }

  @Override
  public PendingSummary pending(String uniqueKey) {
    Objects.requireNonNull(uniqueKey, "uniqueKey");
    String key = base + ":kc:" + uniqueKey;
    List<KeyValue<String, String>> counts =
        conn.call(
            "pending of unique key " + uniqueKey,
            () ->
                conn.commands()
                    .hmget(
                        key,
                        code(JobState.RUNNING),
                        code(JobState.SCHEDULED),
                        code(JobState.FAILED),
                        code(JobState.QUEUED)));
    long[] n = new long[4];
    for (int i = 0; i < 4 && counts != null && i < counts.size(); i++) {
      n[i] = counts.get(i).hasValue() ? Long.parseLong(counts.get(i).getValue()) : 0;
    }
    return new PendingSummary(uniqueKey, n[0], n[1] + n[2], n[3]);
  }

  @Override
  public JobStats stats() {
    List<Object> reply =
        conn.script(
            "stats of jobs",
            RedisScript.JOB_STATS,
            ScriptOutputType.MULTI,
            new String[] {base + ":n"},
            base,
            now(),
            Integer.toString(JobStats.TOP_KEYS));
    if (reply == null || reply.size() != 4) {
      throw new IllegalStateException("job-stats.lua answered " + reply);
    }
    Map<JobState, Long> byState = new EnumMap<>(JobState.class);
    for (JobState s : JobState.values()) {
      byState.put(s, 0L);
    }
    List<Object> states = list(reply.get(0));
    for (int i = 0; i + 1 < states.size(); i += 2) {
      byState.put(state(states.get(i)), number(states.get(i + 1)));
    }
    Map<String, Map<JobState, Long>> byType = new HashMap<>();
    List<Object> types = list(reply.get(1));
    for (int i = 0; i + 1 < types.size(); i += 2) {
      long n = number(types.get(i + 1));
      if (n == 0) {
        continue;
      }
      String field = String.valueOf(types.get(i));
      int colon = field.indexOf(':');
      byType
          .computeIfAbsent(field.substring(colon + 1), t -> new EnumMap<>(JobState.class))
          .put(state(field.substring(0, colon)), n);
    }
    List<Map.Entry<String, Long>> top = new ArrayList<>();
    List<Object> dups = list(reply.get(2));
    for (int i = 0; i + 1 < dups.size(); i += 2) {
      long n = -(long) Double.parseDouble(String.valueOf(dups.get(i + 1)));
      top.add(Map.entry(String.valueOf(dups.get(i)), n));
    }
    top.sort(
        Map.Entry.<String, Long>comparingByValue()
            .reversed()
            .thenComparing(Map.Entry.comparingByKey()));
    Map<String, Long> duplicates = new LinkedHashMap<>();
    top.forEach(e -> duplicates.put(e.getKey(), e.getValue()));
    return new JobStats(byState, byType, duplicates, number(reply.get(3)));
  }

  // ---- maintenance --------------------------------------------------------------------------

  @Override
  public MaintenanceResult maintain() {
    String now = now();
    MaintenanceResult total = MaintenanceResult.NONE;
    while (true) {
      List<Object> r =
          conn.script(
              "maintenance of jobs",
              RedisScript.JOB_MAINTAIN,
              ScriptOutputType.MULTI,
              new String[] {base + ":run"},
              base,
              now,
              Integer.toString(BATCH),
              storeId);
      if (r == null || r.size() != 5) {
        throw new IllegalStateException("job-maintain.lua answered " + r);
      }
      total =
          total.plus(
              new MaintenanceResult(
                  (int) number(r.get(0)),
                  (int) number(r.get(1)),
                  (int) number(r.get(2)),
                  (int) number(r.get(3))));
      if (number(r.get(4)) == 0) {
        break;
      }
    }
    if (total.recovered() + total.promoted() > 0) {
      wakeHere();
    }
    return total;
  }

  @Override
  public int purge(Instant finishedBefore) {
    Objects.requireNonNull(finishedBefore, "finishedBefore");
    String cutoff = JobFields.millis("finishedBefore", finishedBefore);
    if (finishedBefore.getNano() % 1_000_000 != 0) {
      // finished_at is in whole milliseconds: before t is before or at t's millisecond
      cutoff = Long.toString(Long.parseLong(cutoff) + 1);
    }
    int deleted = 0;
    while (true) {
      List<Object> r =
          conn.script(
              "purge of jobs",
              RedisScript.JOB_PURGE,
              ScriptOutputType.MULTI,
              new String[] {base + ":fin"},
              base,
              now(),
              cutoff,
              Integer.toString(BATCH));
      if (r == null || r.size() != 2) {
        throw new IllegalStateException("job-purge.lua answered " + r);
      }
      deleted += (int) number(r.get(0));
      if (number(r.get(1)) == 0) {
        return deleted;
      }
    }
  }

  // ---- wake-ups -----------------------------------------------------------------------------

  @Override
  public AutoCloseable subscribe(Runnable listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (pubSubLock) {
      if (closed) {
        throw new IllegalStateException(this + " is closed");
      }
      if (pubSub == null) {
        openPubSub();
      }
      listeners.add(listener);
    }
    return () -> listeners.remove(listener);
  }

  /** Subscribes to the wake channel; called once, under the lock. */
  private void openPubSub() {
    String channel = base + ":wake";
    String op = "subscribe to " + channel;
    StatefulRedisPubSubConnection<String, String> c = conn.connectPubSub(op);
    AtomicBoolean first = new AtomicBoolean(true);
    c.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void message(String ch, String message) {
            if (!storeId.equals(message)) {
              wakeLater();
            }
          }

          @Override
          public void subscribed(String ch, long count) {
            // again after a reconnect: messages may have been missed meanwhile
            if (!first.compareAndSet(true, false)) {
              wakeLater();
            }
          }
        });
    ExecutorService n =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "idem-redis-jobs-wake-" + prefix);
              t.setDaemon(true);
              return t;
            });
    try {
      conn.awaitUntil(
          op,
          RedisStoreConnection.start(() -> c.async().subscribe(channel)),
          System.nanoTime() + conn.commandTimeout().toNanos());
    } catch (RuntimeException e) {
      n.shutdown();
      c.close();
      throw e;
    }
    notifier = n;
    pubSub = c;
  }

  /** Wakes the listeners on the calling thread (after this store's own changes). */
  private void wakeHere() {
    for (Runnable l : listeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        log.warn("a job listener of {} failed", this, e);
      }
    }
  }

  /** Wakes the listeners on the store's thread (for messages: never on Lettuce's threads). */
  private void wakeLater() {
    ExecutorService n = notifier;
    if (n == null || listeners.isEmpty() || !wakeQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      n.execute(
          () -> {
            wakeQueued.set(false);
            wakeHere();
          });
    } catch (RejectedExecutionException e) {
      wakeQueued.set(false); // closed
    }
  }

  /** Closes the store's connections, and shuts down its client when the store made it. */
  @Override
  public void close() {
    StatefulRedisPubSubConnection<String, String> c;
    ExecutorService n;
    synchronized (pubSubLock) {
      closed = true;
      c = pubSub;
      n = notifier;
      pubSub = null;
      notifier = null;
    }
    listeners.clear();
    try {
      if (c != null) {
        c.close();
      }
    } finally {
      if (n != null) {
        n.shutdownNow();
      }
      conn.close();
    }
  }

  @Override
  public String toString() {
    return "RedisJobStore[" + conn.server() + ", prefix=" + prefix + "]";
  }

  // ---- helpers ------------------------------------------------------------------------------

  private String jobKey(String id) {
    return base + ":j:" + id;
  }

  private Instant nowInstant() {
    return Instant.ofEpochMilli(clock.millis());
  }

  private String now() {
    return JobFields.millis("the store clock's time", nowInstant());
  }

  private static String millis(Instant t) {
    return JobFields.millis("the store clock's time", t);
  }

  private static String code(JobState s) {
    return Integer.toString(s.code());
  }

  private static JobState state(Object code) {
    return JobState.ofCode(Integer.parseInt(String.valueOf(code)));
  }

  private Optional<Job> jobOrEmpty(String id, @Nullable List<Object> flat) {
    if (flat == null || flat.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(JobFields.fromFlat(flat, jobKey(id)));
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(@Nullable Object o) {
    if (o instanceof List<?>) {
      return (List<Object>) o;
    }
    if (o == null) {
      return List.of();
    }
    throw new IllegalStateException("a job script answered " + o + " where a list belongs");
  }

  private static long number(@Nullable Object o) {
    if (o == null) {
      return 0;
    }
    if (o instanceof Number n) {
      return n.longValue();
    }
    return Long.parseLong(String.valueOf(o));
  }

  // ---- building -----------------------------------------------------------------------------

  /**
   * Builds a {@link RedisJobStore}; the settings are {@link RedisStoreBuilder}'s. Not thread-safe.
   */
  public static final class Builder extends RedisStoreBuilder<Builder, RedisJobStore> {

    private int listMaxScan = LIST_MAX_SCAN;

    private Builder(@Nullable RedisClient client, RedisURI uri) {
      super(client, uri);
    }

    /** The most jobs one listing looks at (for tests; default {@value #LIST_MAX_SCAN}). */
    Builder listMaxScan(int jobs) {
      if (jobs < 1) {
        throw new IllegalArgumentException("listMaxScan must be positive, but was " + jobs);
      }
      this.listMaxScan = jobs;
      return this;
    }

    /**
     * Connects and loads the scripts.
     *
     * @throws StoreUnavailableException when Redis cannot be reached
     */
    @Override
    public RedisJobStore build() {
      return new RedisJobStore(prefix, clock, connect(RedisScript.JOB_STEPS), listMaxScan);
    }
  }
}
