package io.idem.bench.jobs;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * What the no-op handlers of one run report to: each execution of job {@code index} (0 to n - 1).
 * Counts distinct jobs and all executions (a job run twice, as at-least-once delivery allows,
 * counts once towards the end of the run and once as a duplicate), keeps the time of the first
 * execution and of the one that completed the set, and releases {@link #await} when every job ran
 * at least once. Costs the handler one array slot update and one counter increment. Thread-safe.
 *
 * <p>JobRunr invokes a static method by reflection ({@link JobRunrNoop#execute}), which finds the
 * run through {@link #current()}; one run at a time per JVM.
 */
public final class Executions {

  private static volatile @Nullable Executions current;

  private final int jobs;
  private final AtomicIntegerArray seen;
  private final AtomicInteger distinct = new AtomicInteger();
  private final AtomicInteger total = new AtomicInteger();
  private final AtomicLong firstNanos = new AtomicLong();
  private volatile long lastNanos;
  private final CountDownLatch done = new CountDownLatch(1);
  private final AtomicInteger outOfRange = new AtomicInteger();

  private Executions(int jobs) {
    if (jobs < 1) {
      throw new IllegalArgumentException("jobs must be at least 1, but was " + jobs);
    }
    this.jobs = jobs;
    this.seen = new AtomicIntegerArray(jobs);
  }

  /** A new sink for {@code jobs} jobs, made the {@link #current()} one. */
  static Executions start(int jobs) {
    Executions e = new Executions(jobs);
    current = e;
    return e;
  }

  /** The sink of the run in progress. */
  public static Executions current() {
    Executions e = current;
    if (e == null) {
      throw new IllegalStateException("no job-throughput run in progress");
    }
    return e;
  }

  /** Records one execution of job {@code index}. */
  public void executed(int index) {
    long now = System.nanoTime();
    firstNanos.compareAndSet(0, now);
    total.incrementAndGet();
    if (index < 0 || index >= jobs) {
      outOfRange.incrementAndGet();
      return;
    }
    if (seen.getAndIncrement(index) == 0 && distinct.incrementAndGet() == jobs) {
      lastNanos = now;
      done.countDown();
    }
  }

  /** Waits until every job ran at least once. */
  void await(Duration timeout) throws InterruptedException, TimeoutException {
    if (!done.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      throw new TimeoutException(
          "only "
              + distinct.get()
              + " of "
              + jobs
              + " jobs ran within "
              + timeout
              + " ("
              + total.get()
              + " executions)");
    }
  }

  int jobs() {
    return jobs;
  }

  /** Jobs that ran at least once. */
  int distinct() {
    return distinct.get();
  }

  /** All executions, duplicates included. */
  int total() {
    return total.get();
  }

  /** Executions of an index outside 0 to n - 1 (a harness error when not zero). */
  int outOfRange() {
    return outOfRange.get();
  }

  /** {@link System#nanoTime()} of the first execution; 0 before it. */
  long firstNanos() {
    return firstNanos.get();
  }

  /** {@link System#nanoTime()} of the execution that completed the set; 0 before it. */
  long lastNanos() {
    return lastNanos;
  }
}
