package io.idem.job;

import io.idem.StoreUnavailableException;
import io.idem.Ticker;
import io.idem.spi.JobClaim;
import io.idem.spi.JobCompletion;
import io.idem.spi.JobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker: claims due jobs of its queues and of the registered types under a lease, runs their
 * handlers on its executor, extends the leases of running jobs by heartbeat, and writes each
 * attempt's end (SUCCEEDED, FAILED with a retry at the backoff, DEAD) fenced by the claim's token.
 *
 * <ol>
 *   <li>A dispatcher thread claims up to the free slots (concurrency + prefetch - the jobs it
 *       holds) in one {@link JobStore#claim}; while claims come back full, it claims again once
 *       more than half the prefetch is free (so in batches, not a job per round trip); when nothing
 *       more is due it waits for a wake-up from the store ({@link JobStore#subscribe}:
 *       LISTEN/NOTIFY, pub/sub, or in-process) or the poll interval.
 *   <li>A handler that returned hands its job to a writer thread, and its thread takes the next
 *       job: the writer completes every job handed to it meanwhile in one {@link
 *       JobStore#completeAll} (one statement on PostgreSQL), so short jobs do not each wait for a
 *       round trip. A job counts as held (leased, heartbeated, its slot taken) until its end is
 *       written. Failures, releases and timeouts are written by the job's own thread.
 *   <li>One scheduled task extends every running job's lease; a refused heartbeat (the job was
 *       cancelled or recovered by another worker) interrupts the handler and nothing is written.
 *   <li>A job's timeout (measured on the {@link Jobs.Builder#ticker ticker}) interrupts its handler
 *       and counts as a failed attempt.
 *   <li>Another scheduled task runs {@link JobStore#maintain}: dead workers' jobs come back, stale
 *       ones expire, due ones are promoted.
 *   <li>{@link #shutdown} stops claiming, waits for running jobs up to a grace period, then
 *       interrupts the rest and releases them to the queue (their attempt given back).
 * </ol>
 *
 * Thread-safe.
 */
public final class Worker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Worker.class);
  private static final AtomicInteger SEQ = new AtomicInteger();

  private final Jobs jobs;
  private final JobStore store;
  private final Ticker ticker;
  private final WorkerOptions options;
  private final Set<String> types;
  private final ExecutorService executor;
  private final boolean ownsExecutor;
  private final ScheduledExecutorService timers;
  private final Semaphore wake = new Semaphore(0);
  private final Map<String, Execution> running = new ConcurrentHashMap<>();
  private final Thread dispatcher;

  /**
   * The free slots above which the dispatcher claims: 0 (claim for any free slot) while the last
   * claim emptied what was due, else {@link #refillFloor}, so that while jobs are plentiful a
   * worker that claims ahead claims in batches of more than half its prefetch rather than a job or
   * two per round trip.
   */
  private int claimFloor;

  private final int refillFloor;
  private final LinkedBlockingQueue<Succeeded> succeeded = new LinkedBlockingQueue<>();
  private final Thread writer;
  private volatile boolean stopping;
  private volatile boolean draining;
  private @Nullable AutoCloseable subscription;
  private @Nullable ScheduledFuture<?> heartbeats;
  private @Nullable ScheduledFuture<?> maintenance;

  Worker(Jobs jobs, WorkerOptions options) {
    this.jobs = jobs;
    this.store = jobs.store();
    this.ticker = jobs.ticker();
    this.options = options;
    this.types = jobs.handledTypes();
    this.refillFloor = options.prefetch() / 2;
    int n = SEQ.incrementAndGet();
    if (options.executor() != null) {
      this.executor = options.executor();
      this.ownsExecutor = false;
    } else {
      this.executor =
          Executors.newFixedThreadPool(options.concurrency(), threads("idem-job-" + n + "-"));
      this.ownsExecutor = true;
    }
    this.timers = Executors.newScheduledThreadPool(1, threads("idem-job-timer-" + n + "-"));
    this.dispatcher = new Thread(this::dispatch, "idem-job-dispatcher-" + n);
    this.dispatcher.setDaemon(true);
    this.writer = new Thread(this::writeCompletions, "idem-job-writer-" + n);
    this.writer.setDaemon(true);
  }

  /** The most completions written in one {@link JobStore#completeAll}. */
  static final int MAX_COMPLETIONS_PER_WRITE = 500;

  private static ThreadFactory threads(String prefix) {
    AtomicInteger i = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + i.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  void start() {
    subscription = store.subscribe(wake::release);
    long hb = options.heartbeatEvery().toMillis();
    heartbeats = timers.scheduleWithFixedDelay(this::heartbeat, hb, hb, TimeUnit.MILLISECONDS);
    long m = options.maintenanceInterval().toMillis();
    maintenance = timers.scheduleWithFixedDelay(this::maintain, 0, m, TimeUnit.MILLISECONDS);
    writer.start();
    dispatcher.start();
    log.info("job worker {} started", options);
  }

  /** This worker's options. */
  public WorkerOptions options() {
    return options;
  }

  /** How many jobs this worker runs now. */
  public int runningCount() {
    return running.size();
  }

  /** Wakes the dispatcher now (for example after enqueueing from a process without wake-ups). */
  public void wakeUp() {
    wake.release();
  }

  // ---- dispatch -------------------------------------------------------------------------------

  private void dispatch() {
    long storeBackoff = 50;
    while (!stopping) {
      try {
        int free = options.concurrency() + options.prefetch() - running.size();
        if (free > claimFloor) {
          List<Job> claimed =
              store.claim(
                  new JobClaim(
                      options.queues(),
                      types,
                      options.workerId(),
                      options.lease(),
                      Math.min(free, 1000)));
          storeBackoff = 50;
          for (Job j : claimed) {
            launch(j);
          }
          if (claimed.size() == free) {
            claimFloor = refillFloor;
            continue; // there may be more due: look again as soon as enough slots free
          }
          claimFloor = 0; // nothing more due now: the next job due is claimed at once
        }
        wake.tryAcquire(options.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
      } catch (InterruptedException e) {
        if (stopping) {
          return;
        }
      } catch (RuntimeException e) {
        log.warn(
            "job worker {}: claim failed, trying again in {} ms: {}",
            options.workerId(),
            storeBackoff,
            e.getMessage());
        sleepQuietly(storeBackoff);
        storeBackoff = Math.min(5_000, storeBackoff * 2);
      }
    }
  }

  private void launch(Job job) {
    Execution e = new Execution(job);
    running.put(job.id(), e);
    try {
      executor.execute(e);
    } catch (RejectedExecutionException rejected) {
      running.remove(job.id());
      writeEnd(job, "release", () -> store.release(job.id(), job.token()));
    }
  }

  // ---- heartbeats and maintenance -------------------------------------------------------------

  private void heartbeat() {
    for (Execution e : running.values()) {
      if (e.finished) {
        continue;
      }
      try {
        if (!store.heartbeat(e.job.id(), e.job.token(), options.lease())) {
          e.stop(Stop.LEASE_LOST);
        }
      } catch (RuntimeException ex) {
        log.warn(
            "job worker {}: heartbeat of job {} failed: {}",
            options.workerId(),
            e.job.id(),
            ex.getMessage());
      }
    }
  }

  private void maintain() {
    try {
      MaintenanceResult r = store.maintain();
      if (!r.equals(MaintenanceResult.NONE)) {
        log.info("job maintenance: {}", r);
        jobs.tell(l -> l.maintained(r));
        if (r.recovered() + r.promoted() > 0) {
          wake.release();
        }
      }
    } catch (RuntimeException e) {
      log.warn("job maintenance failed: {}", e.getMessage());
    }
  }

  // ---- one attempt ----------------------------------------------------------------------------

  private enum Stop {
    LEASE_LOST,
    TIMEOUT,
    SHUTDOWN
  }

  /** One attempt of a claimed job. */
  private final class Execution implements Runnable, JobContext<Object> {
    final Job job;
    private @Nullable Object args;
    private @Nullable Thread thread;
    private @Nullable Stop stop;
    private @Nullable ScheduledFuture<?> timeout;
    volatile boolean finished;

    /** The handler succeeded and the writer has the completion to write. */
    volatile boolean handedOff;

    Execution(Job job) {
      this.job = job;
    }

    @Override
    public Job job() {
      return job;
    }

    @Override
    public Object args() {
      return args;
    }

    @Override
    public synchronized boolean isStopping() {
      return stop != null || draining;
    }

    /** Stops the handler (interrupting it) unless it has already returned. */
    synchronized void stop(Stop why) {
      if (finished || stop != null) {
        return;
      }
      stop = why;
      if (thread != null) {
        thread.interrupt();
      }
    }

    /**
     * Stops the attempt with TIMEOUT when the ticker reads {@code due}: scheduled after what is
     * left until then, and again for the rest when the ticker has not got there (a test's).
     */
    private synchronized void timeoutAt(long due) {
      if (finished) {
        return;
      }
      long left = due - ticker.nanos();
      if (left <= 0) {
        stop(Stop.TIMEOUT);
        return;
      }
      try {
        timeout = timers.schedule(() -> timeoutAt(due), left, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException stopped) {
        // the worker has shut down: it stops its handlers itself
      }
    }

    private synchronized @Nullable Stop begin() {
      thread = Thread.currentThread();
      return stop;
    }

    /** The handler returned or threw: no interrupt may come after this. */
    private synchronized @Nullable Stop end() {
      finished = true;
      thread = null;
      Thread.interrupted(); // clear an interrupt that raced with the return
      if (timeout != null) {
        timeout.cancel(false);
      }
      return stop;
    }

    @Override
    public void run() {
      boolean handed = false;
      try {
        handed = runAttempt();
      } finally {
        if (!handed) {
          done(this);
        }
      }
    }

    /** Runs the attempt; true when its completion was handed to the writer. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private boolean runAttempt() {
      Jobs.Registration reg = jobs.handler(job.type());
      if (reg == null) { // cannot happen: claims name the registered types
        writeEnd(job, "release", () -> store.release(job.id(), job.token()));
        return false;
      }
      try {
        args = jobs.mapper().readValue(job.args(), reg.argsType());
      } catch (Exception e) {
        finished = true;
        IllegalArgumentException bad =
            new IllegalArgumentException(
                "args of job "
                    + job.id()
                    + " cannot be read as "
                    + reg.argsType().getName()
                    + ": "
                    + e.getMessage(),
                e);
        Optional<Job> after =
            writeEnd(job, "fail", () -> store.fail(job.id(), job.token(), describe(bad), null));
        after.ifPresent(j -> jobs.tell(l -> l.failed(j, bad)));
        return false;
      }
      Duration limit = job.timeout();
      if (limit != null) {
        timeoutAt(ticker.nanos() + limit.toNanos());
      }
      Stop early = begin();
      if (early != null) {
        end();
        afterStop(early, null);
        return false;
      }
      jobs.tell(l -> l.started(job));
      long startNanos = ticker.nanos();
      Object result;
      Throwable failure = null;
      result = null;
      try {
        result = reg.handler().handle(this);
      } catch (Throwable t) {
        failure = t;
      }
      Stop why = end();
      if (why != null) {
        afterStop(why, failure);
        return false;
      }
      if (failure == null) {
        String json;
        try {
          json = result == null ? null : jobs.mapper().writeValueAsString(result);
        } catch (Exception e) {
          failure =
              new IllegalArgumentException(
                  "result of job " + job.id() + " cannot be written as JSON: " + e.getMessage(), e);
          json = null;
        }
        if (failure == null) {
          handedOff = true;
          succeeded.add(new Succeeded(this, json, Duration.ofNanos(ticker.nanos() - startNanos)));
          return true;
        }
      }
      failed(reg.retry(), failure);
      return false;
    }

    private void failed(RetryPolicy retry, Throwable failure) {
      Instant retryAt = null;
      if (retry.retries(failure) && job.attempt() < job.maxAttempts()) {
        retryAt = jobs.now().plus(retry.delayAfter(job.attempt(), ThreadLocalRandom.current()));
      }
      Instant at = retryAt;
      Optional<Job> after =
          writeEnd(job, "fail", () -> store.fail(job.id(), job.token(), describe(failure), at));
      if (after.isPresent()) {
        jobs.tell(l -> l.failed(after.get(), failure));
      } else {
        leaseLost();
      }
    }

    private void afterStop(Stop why, @Nullable Throwable failure) {
      switch (why) {
        case LEASE_LOST -> leaseLost();
        case SHUTDOWN -> writeEnd(job, "release", () -> store.release(job.id(), job.token()));
        case TIMEOUT -> {
          Jobs.Registration<?> reg = jobs.handler(job.type());
          JobTimeoutException t = new JobTimeoutException(job.id(), job.timeout(), failure);
          failed(reg == null ? RetryPolicy.DEFAULT : reg.retry(), t);
        }
      }
    }

    private void leaseLost() {
      log.info("job {} (attempt {}) lost its lease: nothing written", job.id(), job.attempt());
      jobs.tell(l -> l.leaseLost(job));
    }
  }

  /** The job of {@code e} no longer holds a slot: its end is written (or given up). */
  private void done(Execution e) {
    running.remove(e.job.id());
    wake.release();
  }

  /** A handler's success, waiting for the writer. */
  private record Succeeded(Execution execution, @Nullable String result, Duration took) {}

  /** Put last in the writer's queue by {@link #stopWriter}: the writer writes what came before. */
  private static final Succeeded STOP = new Succeeded(null, null, Duration.ZERO);

  /**
   * The writer thread: completes the successes handed to it, all those waiting in one {@link
   * JobStore#completeAll}, until the worker stops and nothing is left.
   */
  private void writeCompletions() {
    List<Succeeded> batch = new ArrayList<>();
    boolean stop = false;
    while (!stop) {
      try {
        batch.add(succeeded.take());
      } catch (InterruptedException e) {
        continue; // nobody interrupts the writer; it stops at STOP
      }
      succeeded.drainTo(batch, MAX_COMPLETIONS_PER_WRITE - 1);
      stop = batch.remove(STOP);
      write(batch);
      batch.clear();
    }
  }

  /** Completes {@code batch}; a failure that is not the store's answer releases their slots. */
  private void write(List<Succeeded> batch) {
    if (batch.isEmpty()) {
      return;
    }
    try {
      complete(batch);
    } catch (RuntimeException e) {
      log.error("job worker {}: writing completions failed", options.workerId(), e);
      for (Succeeded s : batch) {
        done(s.execution());
      }
    }
  }

  private void complete(List<Succeeded> batch) {
    List<JobCompletion> completions = new ArrayList<>(batch.size());
    for (Succeeded s : batch) {
      Job j = s.execution().job;
      completions.add(new JobCompletion(j, s.result()));
    }
    Job first = batch.get(0).execution().job;
    List<Optional<Job>> answers;
    try {
      answers =
          writeEnd(
              first,
              batch.size() == 1 ? "complete" : "complete (with " + (batch.size() - 1) + " more)",
              () -> store.completeAll(completions),
              null);
    } catch (RuntimeException refused) { // not an outage: one of them is refused; one by one
      for (Succeeded s : batch) {
        completeAlone(s);
      }
      return;
    }
    if (answers == null) { // the store stayed unreachable past the lease: they will be recovered
      for (Succeeded s : batch) {
        s.execution().leaseLost();
        done(s.execution());
      }
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      Succeeded s = batch.get(i);
      Optional<Job> after = answers.get(i);
      if (after.isPresent()) {
        Job j = after.get();
        jobs.tell(l -> l.succeeded(j, s.took()));
      } else {
        s.execution().leaseLost();
      }
      done(s.execution());
    }
  }

  /** A completion the store refused in a batch, written alone: refused again, the attempt fails. */
  private void completeAlone(Succeeded s) {
    Execution e = s.execution();
    Job job = e.job;
    try {
      Optional<Job> after =
          writeEnd(job, "complete", () -> store.complete(job.id(), job.token(), s.result()), null);
      if (after != null && after.isPresent()) {
        jobs.tell(l -> l.succeeded(after.get(), s.took()));
      } else {
        e.leaseLost();
      }
    } catch (RuntimeException refused) {
      Jobs.Registration<?> reg = jobs.handler(job.type());
      e.failed(reg == null ? RetryPolicy.DEFAULT : reg.retry(), refused);
    } finally {
      done(e);
    }
  }

  /**
   * Writes an attempt's end, trying again while the store is unreachable, for up to the lease
   * (after that another worker may have taken the job and the write would be refused anyway).
   */
  private Optional<Job> writeEnd(Job job, String what, Supplier<Optional<Job>> write) {
    return writeEnd(job, what, write, Optional.empty());
  }

  /** {@link #writeEnd}, answering {@code gaveUp} when the lease passed with the store away. */
  private <T> T writeEnd(Job job, String what, Supplier<T> write, T gaveUp) {
    long deadline = ticker.nanos() + options.lease().toNanos();
    long pause = 50;
    while (true) {
      try {
        return write.get();
      } catch (StoreUnavailableException e) {
        if (ticker.nanos() + pause * 1_000_000 - deadline > 0) {
          log.warn(
              "job {}: {} failed and the lease is over; the job will be recovered: {}",
              job.id(),
              what,
              e.getMessage());
          return gaveUp;
        }
        sleepQuietly(pause);
        pause = Math.min(2_000, pause * 2);
      }
    }
  }

  private static String describe(Throwable t) {
    String s = t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- shutdown -------------------------------------------------------------------------------

  /**
   * Stops claiming, lets running jobs finish for up to {@code grace}, then interrupts the rest and
   * releases them to the queue (their attempt given back), and stops the worker's threads. The
   * grace period is measured on the {@link Jobs.Builder#ticker ticker} of the jobs.
   *
   * @return true when every running job finished within the grace period
   */
  public boolean shutdown(Duration grace) {
    if (stopping) {
      return running.isEmpty();
    }
    stopping = true;
    dispatcher.interrupt();
    closeSubscription();
    try {
      dispatcher.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long deadline = ticker.nanos() + grace.toNanos();
    while (!running.isEmpty() && ticker.nanos() - deadline < 0) {
      sleepQuietly(10);
    }
    boolean clean = running.isEmpty();
    if (!clean) {
      draining = true;
      for (Execution e : running.values()) {
        e.stop(Stop.SHUTDOWN);
      }
      long releaseDeadline = ticker.nanos() + TimeUnit.SECONDS.toNanos(5);
      while (!running.isEmpty() && ticker.nanos() - releaseDeadline < 0) {
        sleepQuietly(10);
      }
      stopWriter(); // the successes first: they are not released
      for (Execution e : running.values()) { // handlers that ignore interrupts: release for them
        if (!e.handedOff) {
          writeEnd(e.job, "release", () -> store.release(e.job.id(), e.job.token()));
        }
      }
    }
    stopWriter();
    if (heartbeats != null) {
      heartbeats.cancel(false);
    }
    if (maintenance != null) {
      maintenance.cancel(false);
    }
    timers.shutdownNow();
    if (ownsExecutor) {
      executor.shutdownNow();
    }
    log.info(
        "job worker {} stopped ({})",
        options.workerId(),
        clean ? "every job finished" : "unfinished jobs released");
    return clean;
  }

  /**
   * Lets the writer write what it holds, then stops it; a success handed over after that (a handler
   * that ignored the interrupt and returned late) is written here, on the caller's thread.
   */
  private void stopWriter() {
    succeeded.add(STOP);
    try {
      writer.join(options.lease().toMillis() + 1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<Succeeded> late = new ArrayList<>();
    succeeded.drainTo(late);
    late.removeIf(x -> x == STOP);
    write(late);
  }

  private void closeSubscription() {
    AutoCloseable s = subscription;
    if (s != null) {
      try {
        s.close();
      } catch (Exception e) {
        log.debug("closing the job subscription failed", e);
      }
    }
  }

  /** {@link #shutdown} with a 30-second grace period. */
  @Override
  public void close() {
    shutdown(Duration.ofSeconds(30));
  }

  @Override
  public String toString() {
    return "Worker["
        + options.workerId()
        + ", running "
        + running.size()
        + (stopping ? ", stopped" : "")
        + "]";
  }
}
