package io.idem.job;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of a {@link JobQuery}.
 *
 * @param jobs newest first
 * @param next the cursor of the next page; null when this is the last
 */
public record JobPage(List<Job> jobs, @Nullable String next) {

  public JobPage {
    jobs = List.copyOf(jobs);
  }
}
