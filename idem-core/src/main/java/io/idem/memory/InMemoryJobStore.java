package io.idem.memory;

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
import io.idem.spi.JobStore;
import io.idem.spi.JobTransitions;
import io.idem.spi.NewJob;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link JobStore} in memory: for tests and single processes. Every step runs {@link
 * JobTransitions} inside one critical section over the whole store, so uniqueness (a map from
 * unique key to its holder, updated in the same section as the job) and claims are atomic. Waiting
 * jobs are kept in claim order. Thread-safe.
 */
public final class InMemoryJobStore implements JobStore {

  private static final Logger log = LoggerFactory.getLogger(InMemoryJobStore.class);

  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Job> jobs = new HashMap<>();
  private final Map<String, String> holders = new HashMap<>();
  private final TreeSet<Job> waiting = new TreeSet<>(JobTransitions.CLAIM_ORDER);
  private final Map<String, Long> duplicates = new HashMap<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  private InMemoryJobStore(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** A store on the system clock. */
  public static InMemoryJobStore create() {
    return new InMemoryJobStore(Clock.systemUTC());
  }

  /** A store on {@code clock}. */
  public static InMemoryJobStore create(Clock clock) {
    return new InMemoryJobStore(clock);
  }

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  @Override
  public EnqueueResult enqueue(NewJob job) {
    Objects.requireNonNull(job, "job");
    boolean wake;
    EnqueueResult r;
    lock.lock();
    try {
      r = enqueueLocked(job, now());
      wake = r.outcome() != EnqueueOutcome.REJECTED && r.outcome() != EnqueueOutcome.IGNORED;
    } finally {
      lock.unlock();
    }
    if (wake) {
      wake();
    }
    return r;
  }

  @Override
  public List<EnqueueResult> enqueueAll(List<NewJob> batch) {
    List<EnqueueResult> out = new ArrayList<>(batch.size());
    lock.lock();
    try {
      Instant now = now();
      for (NewJob j : batch) {
        out.add(enqueueLocked(Objects.requireNonNull(j, "job"), now));
      }
    } finally {
      lock.unlock();
    }
    wake();
    return out;
  }

  private EnqueueResult enqueueLocked(NewJob n, Instant now) {
    Job byId = jobs.get(n.id());
    Job holder = null;
    if (n.uniqueKey() != null) {
      String holderId = holders.get(n.uniqueKey());
      holder = holderId == null ? null : jobs.get(holderId);
    }
    JobTransitions.EnqueueDecision d = JobTransitions.enqueue(byId, holder, n, now);
    if (d.write() != null) {
      put(d.write());
    }
    if (d.outcome() == EnqueueOutcome.ENQUEUED) {
      return new EnqueueResult(d.outcome(), d.answer(), null);
    }
    Job existing = d.answer();
    duplicates.merge(
        existing.uniqueKey() != null ? existing.uniqueKey() : existing.id(), 1L, Long::sum);
    PendingSummary pending =
        d.outcome() == EnqueueOutcome.REJECTED && existing.uniqueKey() != null
            ? pendingLocked(existing.uniqueKey())
            : null;
    return new EnqueueResult(d.outcome(), existing, pending);
  }

  /** Stores {@code next} in place of its previous version, keeping the indexes true. */
  private void put(Job next) {
    Job prev = jobs.put(next.id(), next);
    if (prev != null) {
      waiting.remove(prev);
      if (prev.holdsUniqueKey() && next.id().equals(holders.get(prev.uniqueKey()))) {
        holders.remove(prev.uniqueKey());
      }
    }
    if (JobState.WAITING.contains(next.state())) {
      waiting.add(next);
    }
    if (next.holdsUniqueKey()) {
      String other = holders.putIfAbsent(next.uniqueKey(), next.id());
      if (other != null && !other.equals(next.id())) {
        throw new IllegalStateException(
            "unique key " + next.uniqueKey() + " held by " + other + " and " + next.id());
      }
    }
  }

  @Override
  public List<Job> claim(JobClaim claim) {
    Objects.requireNonNull(claim, "claim");
    lock.lock();
    try {
      Instant now = now();
      List<Job> picked = new ArrayList<>();
      for (Job j : waiting) {
        if (picked.size() >= claim.limit()) {
          break;
        }
        if (JobTransitions.isClaimable(j, now)
            && claim.queues().contains(j.queue())
            && (claim.types().isEmpty() || claim.types().contains(j.type()))) {
          picked.add(j);
        }
      }
      List<Job> out = new ArrayList<>(picked.size());
      for (Job j : picked) {
        Job running = JobTransitions.claim(j, claim.workerId(), claim.lease(), now);
        put(running);
        out.add(running);
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean heartbeat(String id, long token, Duration lease) {
    io.idem.internal.Durations.requirePositive("lease", lease);
    return apply(id, j -> JobTransitions.heartbeat(j, token, lease, now())).isPresent();
  }

  @Override
  public Optional<Job> complete(String id, long token, @Nullable String result) {
    return apply(id, j -> JobTransitions.complete(j, token, result, now()));
  }

  @Override
  public Optional<Job> fail(String id, long token, String error, @Nullable Instant retryAt) {
    Objects.requireNonNull(error, "error");
    return apply(id, j -> JobTransitions.fail(j, token, error, retryAt, now()));
  }

  @Override
  public Optional<Job> release(String id, long token) {
    Optional<Job> r = apply(id, j -> JobTransitions.release(j, token, now()));
    if (r.isPresent()) {
      wake();
    }
    return r;
  }

  private Optional<Job> apply(String id, Function<Job, @Nullable Job> step) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      Job j = jobs.get(id);
      if (j == null) {
        return Optional.empty();
      }
      Job next = step.apply(j);
      if (next == null) {
        return Optional.empty();
      }
      put(next);
      return Optional.of(next);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<Job> cancel(String id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      Job j = jobs.get(id);
      if (j == null) {
        return Optional.empty();
      }
      Job next = JobTransitions.cancel(j, now());
      if (next != j) {
        put(next);
      }
      return Optional.of(next);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<Job> retry(String id) {
    Objects.requireNonNull(id, "id");
    Job next;
    lock.lock();
    try {
      Job j = jobs.get(id);
      if (j == null) {
        return Optional.empty();
      }
      next = JobTransitions.retry(j, now());
      if (next.holdsUniqueKey()) {
        String holderId = holders.get(next.uniqueKey());
        if (holderId != null && !holderId.equals(id)) {
          throw new UniqueConflictException(id, jobs.get(holderId));
        }
      }
      put(next);
    } finally {
      lock.unlock();
    }
    wake();
    return Optional.of(next);
  }

  @Override
  public Optional<Job> get(String id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      return Optional.ofNullable(jobs.get(id));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public JobPage list(JobQuery query) {
    Objects.requireNonNull(query, "query");
    JobQuery.Cursor after = query.after() == null ? null : JobQuery.Cursor.parse(query.after());
    List<Job> matching = new ArrayList<>();
    lock.lock();
    try {
      for (Job j : jobs.values()) {
        if (query.matches(j) && (after == null || after.precedes(j))) {
          matching.add(j);
        }
      }
    } finally {
      lock.unlock();
    }
    matching.sort(Comparator.comparing(Job::createdAt).thenComparing(Job::id).reversed());
    boolean more = matching.size() > query.limit();
    List<Job> page = more ? matching.subList(0, query.limit()) : matching;
    String next = more ? JobQuery.Cursor.after(page.get(page.size() - 1)).toString() : null;
    return new JobPage(page, next);
  }

  @Override
  public PendingSummary pending(String uniqueKey) {
    Objects.requireNonNull(uniqueKey, "uniqueKey");
    lock.lock();
    try {
      return pendingLocked(uniqueKey);
    } finally {
      lock.unlock();
    }
  }

  private PendingSummary pendingLocked(String uniqueKey) {
    long running = 0;
    long scheduled = 0;
    long queued = 0;
    for (Job j : jobs.values()) {
      if (!uniqueKey.equals(j.uniqueKey())) {
        continue;
      }
      switch (j.state()) {
        case RUNNING -> running++;
        case SCHEDULED, FAILED -> scheduled++;
        case QUEUED -> queued++;
        default -> {}
      }
    }
    return new PendingSummary(uniqueKey, running, scheduled, queued);
  }

  @Override
  public JobStats stats() {
    lock.lock();
    try {
      Map<JobState, Long> byState = new EnumMap<>(JobState.class);
      for (JobState s : JobState.values()) {
        byState.put(s, 0L);
      }
      Map<String, Map<JobState, Long>> byType = new HashMap<>();
      for (Job j : jobs.values()) {
        byState.merge(j.state(), 1L, Long::sum);
        byType
            .computeIfAbsent(j.type(), t -> new EnumMap<>(JobState.class))
            .merge(j.state(), 1L, Long::sum);
      }
      Map<String, Long> top = new LinkedHashMap<>();
      long total = 0;
      List<Map.Entry<String, Long>> entries = new ArrayList<>(duplicates.entrySet());
      entries.sort(
          Map.Entry.<String, Long>comparingByValue()
              .reversed()
              .thenComparing(Map.Entry.comparingByKey()));
      for (Map.Entry<String, Long> e : entries) {
        total += e.getValue();
        if (top.size() < JobStats.TOP_KEYS) {
          top.put(e.getKey(), e.getValue());
        }
      }
      return new JobStats(byState, byType, top, total);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public MaintenanceResult maintain() {
    int recovered = 0;
    int dead = 0;
    int expired = 0;
    int promoted = 0;
    lock.lock();
    try {
      Instant now = now();
      List<Job> changes = new ArrayList<>();
      for (Job j : jobs.values()) {
        Job next = JobTransitions.maintain(j, now);
        if (next != null) {
          changes.add(next);
          if (j.state() == JobState.RUNNING) {
            if (next.state() == JobState.DEAD) {
              dead++;
            } else {
              recovered++;
            }
          } else if (next.state() == JobState.EXPIRED) {
            expired++;
          } else {
            promoted++;
          }
        }
      }
      for (Job next : changes) {
        put(next);
      }
    } finally {
      lock.unlock();
    }
    if (recovered + promoted > 0) {
      wake();
    }
    return new MaintenanceResult(recovered, dead, expired, promoted);
  }

  @Override
  public int purge(Instant finishedBefore) {
    Objects.requireNonNull(finishedBefore, "finishedBefore");
    lock.lock();
    try {
      int n = 0;
      for (Iterator<Job> it = jobs.values().iterator(); it.hasNext(); ) {
        Job j = it.next();
        if (j.state().isFinal()
            && j.finishedAt() != null
            && j.finishedAt().isBefore(finishedBefore)) {
          it.remove();
          if (j.holdsUniqueKey() && j.id().equals(holders.get(j.uniqueKey()))) {
            holders.remove(j.uniqueKey());
          }
          n++;
        }
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

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
        log.warn("a job listener failed", e);
      }
    }
  }

  @Override
  public void close() {
    listeners.clear();
  }

  @Override
  public String toString() {
    return "InMemoryJobStore";
  }
}
