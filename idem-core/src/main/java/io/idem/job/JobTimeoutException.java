package io.idem.job;

import io.idem.IdemException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** An attempt ran past its job's timeout and was interrupted; it counts as a failed attempt. */
public final class JobTimeoutException extends IdemException {
  private static final long serialVersionUID = 1L;

  public JobTimeoutException(String jobId, @Nullable Duration timeout, @Nullable Throwable cause) {
    super("job " + jobId + " ran past its timeout of " + timeout + " and was interrupted", cause);
  }
}
