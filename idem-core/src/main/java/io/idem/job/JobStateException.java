package io.idem.job;

import io.idem.IdemException;

/**
 * A job is not in a state that allows the requested change (for example a retry of a running job).
 */
public final class JobStateException extends IdemException {
  private static final long serialVersionUID = 1L;

  private final transient Job job;

  public JobStateException(Job job, String change) {
    super("cannot " + change + " job " + job.id() + ": it is " + job.state());
    this.job = job;
  }

  /** The job as it is. */
  public Job job() {
    return job;
  }
}
