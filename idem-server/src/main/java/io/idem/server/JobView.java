package io.idem.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.idem.job.Job;
import io.idem.job.JobState;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Job} as the HTTP API and the CLI show it: the same fields, with {@code args} and {@code
 * result} embedded as JSON (not as strings), states as names, times as ISO-8601 instants and the
 * timeout as an ISO-8601 duration ({@code PT30S}).
 */
public record JobView(
    String id,
    String type,
    String queue,
    int priority,
    JsonNode args,
    JobState state,
    int attempt,
    int maxAttempts,
    long token,
    Instant runAt,
    @Nullable Instant expiresAt,
    @Nullable String timeout,
    @Nullable Instant leaseUntil,
    @Nullable String workerId,
    @Nullable String uniqueKey,
    Set<JobState> uniqueStates,
    @Nullable JsonNode result,
    @Nullable String lastError,
    Instant createdAt,
    Instant updatedAt,
    @Nullable Instant finishedAt) {

  /** The view of {@code job}; args and result are parsed with {@code mapper}. */
  public static JobView of(Job job, ObjectMapper mapper) {
    EnumSet<JobState> unique = EnumSet.noneOf(JobState.class);
    unique.addAll(job.uniqueStates());
    return new JobView(
        job.id(),
        job.type(),
        job.queue(),
        job.priority(),
        json(job.args(), mapper),
        job.state(),
        job.attempt(),
        job.maxAttempts(),
        job.token(),
        job.runAt(),
        job.expiresAt(),
        job.timeout() == null ? null : job.timeout().toString(),
        job.leaseUntil(),
        job.workerId(),
        job.uniqueKey(),
        java.util.Collections.unmodifiableSet(unique),
        job.result() == null ? null : json(job.result(), mapper),
        job.lastError(),
        job.createdAt(),
        job.updatedAt(),
        job.finishedAt());
  }

  /** The views of {@code jobs}, in order. */
  public static List<JobView> of(List<Job> jobs, ObjectMapper mapper) {
    return jobs.stream().map(j -> of(j, mapper)).toList();
  }

  /** Stored JSON text as a tree; text that is not JSON (never written by Idem) as a string. */
  private static JsonNode json(String text, ObjectMapper mapper) {
    try {
      JsonNode n = mapper.readTree(text);
      return n == null ? TextNode.valueOf(text) : n;
    } catch (JsonProcessingException e) {
      return TextNode.valueOf(text);
    }
  }
}
