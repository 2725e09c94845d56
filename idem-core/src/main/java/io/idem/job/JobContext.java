package io.idem.job;

import io.idem.IdempotencyKey;

/**
 * One attempt of a job, as its handler sees it.
 *
 * @param <A> the args type
 */
public interface JobContext<A> {

  /** The job as claimed: RUNNING, with this attempt's number and token. */
  Job job();

  /** The args, decoded to the handler's type. */
  A args();

  /** This attempt's number, 1 for the first. */
  default int attempt() {
    return job().attempt();
  }

  /**
   * This attempt's fencing token: it grows at every claim of the job, so a downstream store can
   * refuse a write from an attempt that lost its lease.
   */
  default long token() {
    return job().token();
  }

  /**
   * The job's idempotency key, {@code job:<id>}: the same in every attempt, so that {@code
   * idem.once(ctx.idempotencyKey(), ...)} makes the job's effect once across retries and crashes.
   */
  default IdempotencyKey idempotencyKey() {
    return IdempotencyKey.readable("job", job().id());
  }

  /**
   * True when this attempt should stop: its lease was lost (the job was cancelled or recovered),
   * its timeout passed, or the worker is shutting down. The thread is interrupted too.
   */
  boolean isStopping();
}
