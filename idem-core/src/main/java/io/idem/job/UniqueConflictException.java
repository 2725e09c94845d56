package io.idem.job;

import io.idem.IdemException;

/**
 * A change would give a unique key a second holder (a retry of a dead job while another job with
 * its key is pending); nothing changed.
 */
public final class UniqueConflictException extends IdemException {
  private static final long serialVersionUID = 1L;

  private final transient Job existing;

  public UniqueConflictException(String jobId, Job existing) {
    super(
        "job "
            + jobId
            + " cannot be queued again: job "
            + existing.id()
            + " holds unique key "
            + existing.uniqueKey()
            + " ("
            + existing.state()
            + ")");
    this.existing = existing;
  }

  /** The job that holds the key. */
  public Job existing() {
    return existing;
  }
}
