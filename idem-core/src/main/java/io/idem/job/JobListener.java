package io.idem.job;

import java.time.Duration;

/**
 * Hears what {@link Jobs} and its workers do, for metrics and logs. Methods run on the calling
 * thread and must return quickly; a listener that throws is logged and ignored. Every method does
 * nothing by default.
 */
public interface JobListener {

  /** An enqueue answered (new, rejected, replaced or ignored). */
  default void enqueued(EnqueueResult result) {}

  /** A worker started an attempt. */
  default void started(Job job) {}

  /** An attempt succeeded and the job is SUCCEEDED. */
  default void succeeded(Job job, Duration took) {}

  /** An attempt failed; the job is FAILED (a retry pending) or DEAD. */
  default void failed(Job job, Throwable failure) {}

  /** An attempt ended without writing: its lease had been lost (cancelled, or recovered). */
  default void leaseLost(Job job) {}

  /** A maintenance pass changed jobs. */
  default void maintained(MaintenanceResult result) {}
}
