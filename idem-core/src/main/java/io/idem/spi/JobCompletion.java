package io.idem.spi;

import io.idem.job.Job;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One successful end of an attempt, for {@link JobStore#completeAll}: the job as its claim returned
 * it (its id and token name what to complete; a store may derive the job after from it with {@link
 * JobTransitions#complete}, as only heartbeats change a claimed job while its token holds it) and
 * the attempt's result (JSON, or null).
 */
public record JobCompletion(Job job, @Nullable String result) {

  public JobCompletion {
    Objects.requireNonNull(job, "job");
  }

  /** The job's id. */
  public String id() {
    return job.id();
  }

  /** The token of the claim that ran the attempt. */
  public long token() {
    return job.token();
  }
}
