package io.idem.job;

import io.idem.internal.Durations;
import io.idem.internal.Texts;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link Worker} runs: its queues, how many jobs at once, its lease and the intervals of its
 * heartbeats, polls and maintenance, and the executor of handlers. Immutable; start from {@link
 * #defaults()}.
 */
public final class WorkerOptions {

  public static final int DEFAULT_CONCURRENCY = 8;
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(2);
  public static final Duration DEFAULT_MAINTENANCE_INTERVAL = Duration.ofSeconds(10);

  private List<String> queues;
  private int concurrency;
  private int prefetch;
  private Duration lease;
  private @Nullable Duration heartbeatEvery;
  private Duration pollInterval;
  private Duration maintenanceInterval;
  private @Nullable ExecutorService executor;
  private String workerId;

  private WorkerOptions(String workerId) {
    this.queues = List.of(JobRequest.DEFAULT_QUEUE);
    this.concurrency = DEFAULT_CONCURRENCY;
    this.prefetch = 0;
    this.lease = DEFAULT_LEASE;
    this.pollInterval = DEFAULT_POLL_INTERVAL;
    this.maintenanceInterval = DEFAULT_MAINTENANCE_INTERVAL;
    this.workerId = workerId;
  }

  /** A copy to change before it is returned (instances never change once returned). */
  private WorkerOptions copy() {
    WorkerOptions o = new WorkerOptions(workerId);
    o.queues = queues;
    o.concurrency = concurrency;
    o.prefetch = prefetch;
    o.lease = lease;
    o.heartbeatEvery = heartbeatEvery;
    o.pollInterval = pollInterval;
    o.maintenanceInterval = maintenanceInterval;
    o.executor = executor;
    return o;
  }

  /**
   * The default queue, {@value #DEFAULT_CONCURRENCY} jobs at once and none claimed ahead, a 30 s
   * lease renewed every 10 s, a poll every 2 s when no wake-up came, maintenance every 10 s,
   * handlers on the worker's own threads, and an id made of the host, process id and a random part.
   */
  public static WorkerOptions defaults() {
    return new WorkerOptions(defaultWorkerId());
  }

  private static String defaultWorkerId() {
    String vm = ManagementFactory.getRuntimeMXBean().getName(); // pid@host
    return vm + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The queues to take jobs from. */
  public WorkerOptions queues(String... queues) {
    List<String> q = new ArrayList<>();
    for (String s : queues) {
      Texts.requireCleanText("queue", Objects.requireNonNull(s, "queue"), 255);
      if (!q.contains(s)) {
        q.add(s);
      }
    }
    if (q.isEmpty()) {
      throw new IllegalArgumentException("a worker needs at least one queue");
    }
    WorkerOptions o = copy();
    o.queues = List.copyOf(q);
    return o;
  }

  /** How many jobs run at once, 1 to 1000. */
  public WorkerOptions concurrency(int concurrency) {
    if (concurrency < 1 || concurrency > 1000) {
      throw new IllegalArgumentException(
          "concurrency must be between 1 and 1000, but was " + concurrency);
    }
    WorkerOptions o = copy();
    o.concurrency = concurrency;
    return o;
  }

  /**
   * How many jobs, 0 to 10,000, the worker may claim ahead of its free threads, so that a thread
   * that finishes a job finds the next one without a round trip to the store (short jobs then cost
   * fewer claims). A job claimed ahead is this worker's (leased, heartbeated) while it waits for a
   * thread; if the worker dies, it comes back when its lease passes, like a running one; its
   * timeout starts when its handler does. Default 0: a worker claims only for free threads.
   */
  public WorkerOptions prefetch(int prefetch) {
    if (prefetch < 0 || prefetch > 10_000) {
      throw new IllegalArgumentException(
          "prefetch must be between 0 and 10000, but was " + prefetch);
    }
    WorkerOptions o = copy();
    o.prefetch = prefetch;
    return o;
  }

  /** How long a claimed job stays this worker's without a heartbeat. */
  public WorkerOptions lease(Duration lease) {
    Durations.requirePositive("lease", lease);
    WorkerOptions o = copy();
    o.lease = lease;
    return o;
  }

  /** How often running jobs' leases are extended. Default: a third of the lease. */
  public WorkerOptions heartbeatEvery(Duration every) {
    Durations.requirePositive("heartbeatEvery", every);
    WorkerOptions o = copy();
    o.heartbeatEvery = every;
    return o;
  }

  /**
   * How long the worker waits for a wake-up before it looks for due jobs anyway (scheduled jobs
   * coming due, other processes' enqueues on stores without notifications).
   */
  public WorkerOptions pollInterval(Duration every) {
    Durations.requirePositive("pollInterval", every);
    WorkerOptions o = copy();
    o.pollInterval = every;
    return o;
  }

  /** How often the worker recovers dead workers' jobs, expires stale ones and promotes due ones. */
  public WorkerOptions maintenanceInterval(Duration every) {
    Durations.requirePositive("maintenanceInterval", every);
    WorkerOptions o = copy();
    o.maintenanceInterval = every;
    return o;
  }

  /**
   * Runs handlers on {@code executor} (for example {@code
   * Executors.newVirtualThreadPerTaskExecutor()} on Java 21+) instead of the worker's own threads.
   * The worker never shuts it down.
   */
  public WorkerOptions executor(ExecutorService executor) {
    WorkerOptions o = copy();
    o.executor = Objects.requireNonNull(executor, "executor");
    return o;
  }

  /** The id stored on the jobs this worker claims. */
  public WorkerOptions workerId(String workerId) {
    Texts.requireCleanText("workerId", Objects.requireNonNull(workerId, "workerId"), 200);
    WorkerOptions o = copy();
    o.workerId = workerId;
    return o;
  }

  public List<String> queues() {
    return queues;
  }

  public int concurrency() {
    return concurrency;
  }

  public int prefetch() {
    return prefetch;
  }

  public Duration lease() {
    return lease;
  }

  public Duration heartbeatEvery() {
    if (heartbeatEvery != null) {
      return heartbeatEvery;
    }
    Duration third = lease.dividedBy(3);
    return third.isZero() ? Duration.ofMillis(1) : third;
  }

  public Duration pollInterval() {
    return pollInterval;
  }

  public Duration maintenanceInterval() {
    return maintenanceInterval;
  }

  public @Nullable ExecutorService executor() {
    return executor;
  }

  public String workerId() {
    return workerId;
  }

  @Override
  public String toString() {
    return "WorkerOptions["
        + workerId
        + ", queues "
        + queues
        + ", concurrency "
        + concurrency
        + (prefetch == 0 ? "" : ", prefetch " + prefetch)
        + ", lease "
        + lease
        + "]";
  }
}
