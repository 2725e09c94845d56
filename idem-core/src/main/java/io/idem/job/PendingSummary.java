package io.idem.job;

/**
 * What is pending for one unique key: how many jobs with the key are running, scheduled (waiting
 * for their time, or for a retry) and queued. The seeds' "is a job pending for this user?" answer.
 */
public record PendingSummary(String uniqueKey, long running, long scheduled, long queued) {

  /** True when some job with the key is running, scheduled or queued. */
  public boolean any() {
    return running + scheduled + queued > 0;
  }

  /** A summary with nothing pending. */
  public static PendingSummary none(String uniqueKey) {
    return new PendingSummary(uniqueKey, 0, 0, 0);
  }
}
