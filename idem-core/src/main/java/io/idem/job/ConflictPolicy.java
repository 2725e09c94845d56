package io.idem.job;

/** What an enqueue does when another job already holds its unique key (or its id). */
public enum ConflictPolicy {
  /**
   * Enqueue nothing; answer {@link EnqueueOutcome#REJECTED} with the existing job and a summary of
   * what is pending for the key (the server answers 409). The default.
   */
  REJECT,
  /**
   * Debounce: when the existing job has not started (SCHEDULED, QUEUED or FAILED), rewrite its
   * args, priority, run time and expiry with the new request's ({@link EnqueueOutcome#REPLACED});
   * when it is running or finished, reject as {@link #REJECT} does.
   */
  REPLACE,
  /** Enqueue nothing and answer {@link EnqueueOutcome#IGNORED} with the existing job. */
  IGNORE
}
