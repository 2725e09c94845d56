package io.idem.spi;

import io.idem.job.EnqueueResult;
import io.idem.job.Job;
import io.idem.job.JobPage;
import io.idem.job.JobQuery;
import io.idem.job.JobStats;
import io.idem.job.MaintenanceResult;
import io.idem.job.PendingSummary;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The storage of unique jobs. Each method that changes jobs is one atomic step in the backend (one
 * SQL statement or transaction, one Lua script, one critical section), with the semantics of {@link
 * JobTransitions}; the contract suite {@code JobStoreContract} in idem-testkit is the definition.
 *
 * <p><b>Uniqueness is the store's</b>: at no moment do two jobs with the same unique key both hold
 * it (a job holds its key while its state is in its unique states). SQL stores enforce it with a
 * partial unique index, Redis in one script, memory in one critical section; never by a read in
 * Java followed by a write.
 *
 * <p><b>Fencing</b>: every claim gives the job a new token (the last + 1). heartbeat, complete,
 * fail and release apply only while the job is RUNNING with that token, so a worker that lost its
 * lease (the job was recovered, claimed again or cancelled) changes nothing.
 *
 * <p>Time comes from the store's clock. Implementations are thread-safe; backend failures are
 * thrown as {@link io.idem.StoreUnavailableException}.
 */
public interface JobStore extends AutoCloseable {

  /**
   * Stores {@code job} unless another job holds its unique key, or has its id; then answers by its
   * {@link io.idem.job.ConflictPolicy}: REJECT returns the existing job with the {@link #pending}
   * summary of the key, IGNORE the existing job, REPLACE rewrites a job that has not started. Every
   * conflict counts one duplicate prevented for the existing job's key (its id when it has none).
   * Wakes {@link #subscribe subscribers} when a job is due now.
   */
  EnqueueResult enqueue(NewJob job);

  /**
   * Enqueues each job as {@link #enqueue} does, in order (a later job of the list conflicts with an
   * earlier one like with any stored job). Stores may do it in fewer round trips; the default calls
   * {@link #enqueue} for each.
   */
  default List<EnqueueResult> enqueueAll(List<NewJob> jobs) {
    List<EnqueueResult> out = new ArrayList<>(jobs.size());
    for (NewJob j : jobs) {
      out.add(enqueue(j));
    }
    return out;
  }

  /**
   * Claims up to {@code claim.limit()} due jobs: state SCHEDULED, QUEUED or FAILED with {@code
   * runAt <= now}, not expired, of the claim's queues (and types), highest priority first, then
   * earliest run time, then oldest. Each becomes RUNNING with attempt + 1, token + 1, {@code
   * leaseUntil = now + lease} and the worker's id. Two claims never return the same job.
   */
  List<Job> claim(JobClaim claim);

  /** Extends the lease of a RUNNING job held with {@code token} to now + {@code lease}. */
  boolean heartbeat(String id, long token, Duration lease);

  /**
   * RUNNING with {@code token} --&gt; SUCCEEDED with {@code result}.
   *
   * @return the job after, or empty (nothing changed) when {@code token} no longer holds it
   */
  Optional<Job> complete(String id, long token, @Nullable String result);

  /**
   * {@link #complete} of each completion, in order, each on its own (one whose token no longer
   * holds its job changes nothing and gets an empty answer; the others complete). Stores may do it
   * in fewer round trips (PostgreSQL: one); the default calls {@link #complete} for each. Workers
   * complete short jobs in batches through it.
   *
   * @return the answers, one per completion, in the order of {@code completions}
   */
  default List<Optional<Job>> completeAll(List<JobCompletion> completions) {
    List<Optional<Job>> out = new ArrayList<>(completions.size());
    for (JobCompletion c : completions) {
      out.add(complete(c.id(), c.token(), c.result()));
    }
    return out;
  }

  /**
   * RUNNING with {@code token} --&gt; FAILED (runAt = {@code retryAt}) when {@code retryAt} is
   * given and attempts remain, else DEAD; {@code error} is kept as the last error.
   *
   * @return the job after, or empty (nothing changed) when {@code token} no longer holds it
   */
  Optional<Job> fail(String id, long token, String error, @Nullable Instant retryAt);

  /**
   * RUNNING with {@code token} --&gt; QUEUED, due now, its attempt given back (for a worker that
   * stops before it finished the job).
   *
   * @return the job after, or empty (nothing changed) when {@code token} no longer holds it
   */
  Optional<Job> release(String id, long token);

  /**
   * SCHEDULED, QUEUED, FAILED or RUNNING --&gt; CANCELLED (a running worker learns it at its next
   * heartbeat). A finished job is returned unchanged.
   *
   * @return the job after; empty when there is no job {@code id}
   */
  Optional<Job> cancel(String id);

  /**
   * DEAD, CANCELLED, EXPIRED or FAILED --&gt; QUEUED, due now, with at least one attempt left.
   *
   * @return the job after; empty when there is no job {@code id}
   * @throws io.idem.job.JobStateException when the job is SCHEDULED, QUEUED, RUNNING or SUCCEEDED
   * @throws io.idem.job.UniqueConflictException when another job holds its unique key
   */
  Optional<Job> retry(String id);

  /** The job {@code id}, in any state. */
  Optional<Job> get(String id);

  /** A page of jobs, newest first. */
  JobPage list(JobQuery query);

  /** What is pending for {@code uniqueKey}: jobs with it that are running, scheduled or queued. */
  PendingSummary pending(String uniqueKey);

  /** Counts by state and type, and duplicates prevented per key. */
  JobStats stats();

  /**
   * One maintenance pass: RUNNING jobs whose lease has passed go back to QUEUED (or DEAD when their
   * attempts are used up); SCHEDULED, QUEUED and FAILED jobs past their expiry become EXPIRED;
   * SCHEDULED and FAILED jobs whose run time came become QUEUED. Safe to run from many workers at
   * once.
   */
  MaintenanceResult maintain();

  /** Deletes final jobs that finished before {@code finishedBefore}; returns how many. */
  int purge(Instant finishedBefore);

  /**
   * Calls {@code listener} (on a store thread; it must return quickly) when a job may have become
   * due: after an enqueue, retry or release, or a maintenance pass that recovered or promoted jobs,
   * in this process and, where the backend can tell (PostgreSQL LISTEN/NOTIFY, Redis pub/sub), in
   * others. Workers use it to claim without fast polling. Closing the handle stops the calls.
   */
  AutoCloseable subscribe(Runnable listener);

  @Override
  void close();
}
