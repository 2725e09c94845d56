package io.idem.spi;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.job.ConflictPolicy;
import io.idem.job.Job;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JobTransitionsTest {

  private static Job job(String id, int priority) {
    return JobTransitions.create(
        new NewJob(
            id,
            "t",
            "q",
            priority,
            "{}",
            null,
            null,
            null,
            1,
            null,
            Set.of(),
            ConflictPolicy.REJECT),
        Instant.parse("2026-01-01T00:00:00Z"));
  }

  /** -Integer.MIN_VALUE overflows: the order once put the lowest priority first. */
  @Test
  void claimOrderPutsTheLowestPriorityLastEvenAtIntegerMinValue() {
    List<Job> jobs =
        new ArrayList<>(
            List.of(
                job("a", Integer.MIN_VALUE),
                job("b", 0),
                job("c", Integer.MAX_VALUE),
                job("d", -1)));
    jobs.sort(JobTransitions.CLAIM_ORDER);
    assertThat(jobs).extracting(Job::id).containsExactly("c", "b", "d", "a");
  }
}
