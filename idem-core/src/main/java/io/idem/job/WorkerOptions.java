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

  private final List<String> queues;
  private final int concurrency;
  private final Duration lease;
  private final @Nullable Duration heartbeatEvery;
  private final Duration pollInterval;
  private final Duration maintenanceInterval;
  private final @Nullable ExecutorService executor;
  private final String workerId;

  private WorkerOptions(
      List<String> queues,
      int concurrency,
      Duration lease,
      @Nullable Duration heartbeatEvery,
      Duration pollInterval,
      Duration maintenanceInterval,
      @Nullable ExecutorService executor,
      String workerId) {
    this.queues = List.copyOf(queues);
    this.concurrency = concurrency;
    this.lease = lease;
    this.heartbeatEvery = heartbeatEvery;
    this.pollInterval = pollInterval;
    this.maintenanceInterval = maintenanceInterval;
    this.executor = executor;
    this.workerId = workerId;
  }

  /**
   * The default queue, {@value #DEFAULT_CONCURRENCY} jobs at once, a 30 s lease renewed every 10 s,
   * a poll every 2 s when no wake-up came, maintenance every 10 s, handlers on the worker's own
   * threads, and an id made of the host, process id and a random part.
   */
  public static WorkerOptions defaults() {
    return new WorkerOptions(
        List.of(JobRequest.DEFAULT_QUEUE),
        DEFAULT_CONCURRENCY,
        DEFAULT_LEASE,
        null,
        DEFAULT_POLL_INTERVAL,
        DEFAULT_MAINTENANCE_INTERVAL,
        null,
        defaultWorkerId());
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
      q.add(s);
    }
    if (q.isEmpty()) {
      throw new IllegalArgumentException("a worker needs at least one queue");
    }
    return new WorkerOptions(
        q,
        concurrency,
        lease,
        heartbeatEvery,
        pollInterval,
        maintenanceInterval,
        executor,
        workerId);
  }

  /** How many jobs run at once, 1 to 1000. */
  public WorkerOptions concurrency(int concurrency) {
    if (concurrency < 1 || concurrency > 1000) {
      throw new IllegalArgumentException(
          "concurrency must be between 1 and 1000, but was " + concurrency);
    }
    return new WorkerOptions(
        queues,
        concurrency,
        lease,
        heartbeatEvery,
        pollInterval,
        maintenanceInterval,
        executor,
        workerId);
  }

  /** How long a claimed job stays this worker's without a heartbeat. */
  public WorkerOptions lease(Duration lease) {
    Durations.requirePositive("lease", lease);
    return new WorkerOptions(
        queues,
        concurrency,
        lease,
        heartbeatEvery,
        pollInterval,
        maintenanceInterval,
        executor,
        workerId);
  }

  /** How often running jobs' leases are extended. Default: a third of the lease. */
  public WorkerOptions heartbeatEvery(Duration every) {
    Durations.requirePositive("heartbeatEvery", every);
    return new WorkerOptions(
        queues, concurrency, lease, every, pollInterval, maintenanceInterval, executor, workerId);
  }

  /**
   * How long the worker waits for a wake-up before it looks for due jobs anyway (scheduled jobs
   * coming due, other processes' enqueues on stores without notifications).
   */
  public WorkerOptions pollInterval(Duration every) {
    Durations.requirePositive("pollInterval", every);
    return new WorkerOptions(
        queues, concurrency, lease, heartbeatEvery, every, maintenanceInterval, executor, workerId);
  }

  /** How often the worker recovers dead workers' jobs, expires stale ones and promotes due ones. */
  public WorkerOptions maintenanceInterval(Duration every) {
    Durations.requirePositive("maintenanceInterval", every);
    return new WorkerOptions(
        queues, concurrency, lease, heartbeatEvery, pollInterval, every, executor, workerId);
  }

  /**
   * Runs handlers on {@code executor} (for example {@code
   * Executors.newVirtualThreadPerTaskExecutor()} on Java 21+) instead of the worker's own threads.
   * The worker never shuts it down.
   */
  public WorkerOptions executor(ExecutorService executor) {
    return new WorkerOptions(
        queues,
        concurrency,
        lease,
        heartbeatEvery,
        pollInterval,
        maintenanceInterval,
        Objects.requireNonNull(executor, "executor"),
        workerId);
  }

  /** The id stored on the jobs this worker claims. */
  public WorkerOptions workerId(String workerId) {
    Texts.requireCleanText("workerId", Objects.requireNonNull(workerId, "workerId"), 200);
    return new WorkerOptions(
        queues,
        concurrency,
        lease,
        heartbeatEvery,
        pollInterval,
        maintenanceInterval,
        executor,
        workerId);
  }

  public List<String> queues() {
    return queues;
  }

  public int concurrency() {
    return concurrency;
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
        + ", lease "
        + lease
        + "]";
  }
}
