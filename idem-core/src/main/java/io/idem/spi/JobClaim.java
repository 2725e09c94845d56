package io.idem.spi;

import io.idem.internal.Durations;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a worker asks of {@link JobStore#claim}: up to {@code limit} due jobs of {@code queues} (and
 * of {@code types}, when not empty), each to run under a lease of {@code lease}.
 */
public record JobClaim(
    List<String> queues, Set<String> types, String workerId, Duration lease, int limit) {

  public JobClaim {
    queues = List.copyOf(queues);
    types = Set.copyOf(types);
    Objects.requireNonNull(workerId, "workerId");
    Durations.requirePositive("lease", lease);
    if (queues.isEmpty()) {
      throw new IllegalArgumentException("queues must not be empty");
    }
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("limit must be between 1 and 1000, but was " + limit);
    }
  }
}
