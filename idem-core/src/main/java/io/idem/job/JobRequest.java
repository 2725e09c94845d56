package io.idem.job;

import io.idem.internal.Durations;
import io.idem.internal.Texts;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A job to enqueue through {@link Jobs#enqueue}. Immutable; every {@code with}-style method returns
 * a copy:
 *
 * <pre>{@code
 * JobRequest.of("email.process", new ProcessEmails(123))
 *     .unique(Unique.byEntity("user", 123))
 *     .queue("mail")
 *     .delay(Duration.ofMinutes(5))
 *     .maxAttempts(5)
 *     .expiresIn(Duration.ofHours(1));
 * }</pre>
 */
public final class JobRequest {

  /** The queue of a request that names none: {@value}. */
  public static final String DEFAULT_QUEUE = "default";

  private final String type;
  private final @Nullable Object args;
  private final String queue;
  private final int priority;
  private final @Nullable Instant runAt;
  private final @Nullable Duration delay;
  private final @Nullable Integer maxAttempts;
  private final @Nullable Instant expiresAt;
  private final @Nullable Duration expiresIn;
  private final @Nullable Duration timeout;
  private final @Nullable Unique unique;
  private final @Nullable String id;
  private final boolean deterministicId;

  private JobRequest(
      String type,
      @Nullable Object args,
      String queue,
      int priority,
      @Nullable Instant runAt,
      @Nullable Duration delay,
      @Nullable Integer maxAttempts,
      @Nullable Instant expiresAt,
      @Nullable Duration expiresIn,
      @Nullable Duration timeout,
      @Nullable Unique unique,
      @Nullable String id,
      boolean deterministicId) {
    this.type = type;
    this.args = args;
    this.queue = queue;
    this.priority = priority;
    this.runAt = runAt;
    this.delay = delay;
    this.maxAttempts = maxAttempts;
    this.expiresAt = expiresAt;
    this.expiresIn = expiresIn;
    this.timeout = timeout;
    this.unique = unique;
    this.id = id;
    this.deterministicId = deterministicId;
  }

  /**
   * A job of {@code type} with {@code args} (any value Jackson writes as JSON; null for none), due
   * now on the default queue.
   */
  public static JobRequest of(String type, @Nullable Object args) {
    Objects.requireNonNull(type, "type");
    Texts.requireCleanText("type", type, 255);
    return new JobRequest(
        type, args, DEFAULT_QUEUE, 0, null, null, null, null, null, null, null, null, false);
  }

  private JobRequest copy(
      String queue,
      int priority,
      @Nullable Instant runAt,
      @Nullable Duration delay,
      @Nullable Integer maxAttempts,
      @Nullable Instant expiresAt,
      @Nullable Duration expiresIn,
      @Nullable Duration timeout,
      @Nullable Unique unique,
      @Nullable String id,
      boolean deterministicId) {
    return new JobRequest(
        type,
        args,
        queue,
        priority,
        runAt,
        delay,
        maxAttempts,
        expiresAt,
        expiresIn,
        timeout,
        unique,
        id,
        deterministicId);
  }

  public JobRequest queue(String queue) {
    Texts.requireCleanText("queue", Objects.requireNonNull(queue, "queue"), 255);
    return copy(
        queue,
        priority,
        runAt,
        delay,
        maxAttempts,
        expiresAt,
        expiresIn,
        timeout,
        unique,
        id,
        deterministicId);
  }

  /** A higher priority runs first among due jobs of its queue. Default 0. */
  public JobRequest priority(int priority) {
    return copy(
        queue,
        priority,
        runAt,
        delay,
        maxAttempts,
        expiresAt,
        expiresIn,
        timeout,
        unique,
        id,
        deterministicId);
  }

  /** Due at {@code runAt} (SCHEDULED until then). */
  public JobRequest runAt(Instant runAt) {
    Objects.requireNonNull(runAt, "runAt");
    return copy(
        queue,
        priority,
        runAt,
        null,
        maxAttempts,
        expiresAt,
        expiresIn,
        timeout,
        unique,
        id,
        deterministicId);
  }

  /** Due {@code delay} after the enqueue. */
  public JobRequest delay(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, but was " + delay);
    }
    return copy(
        queue,
        priority,
        null,
        delay,
        maxAttempts,
        expiresAt,
        expiresIn,
        timeout,
        unique,
        id,
        deterministicId);
  }

  /** How many attempts the job gets before it is DEAD. Default: the {@link Jobs}' default. */
  public JobRequest maxAttempts(int maxAttempts) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, but was " + maxAttempts);
    }
    return copy(
        queue,
        priority,
        runAt,
        delay,
        maxAttempts,
        expiresAt,
        expiresIn,
        timeout,
        unique,
        id,
        deterministicId);
  }

  /** Not run at all when no worker took it before {@code expiresAt} (it becomes EXPIRED). */
  public JobRequest expiresAt(Instant expiresAt) {
    Objects.requireNonNull(expiresAt, "expiresAt");
    return copy(
        queue,
        priority,
        runAt,
        delay,
        maxAttempts,
        expiresAt,
        null,
        timeout,
        unique,
        id,
        deterministicId);
  }

  /** {@link #expiresAt} the enqueue time plus {@code ttl}. */
  public JobRequest expiresIn(Duration ttl) {
    Durations.requirePositive("expiresIn", ttl);
    return copy(
        queue,
        priority,
        runAt,
        delay,
        maxAttempts,
        null,
        ttl,
        timeout,
        unique,
        id,
        deterministicId);
  }

  /** How long one attempt may run before it is interrupted and counted as failed. */
  public JobRequest timeout(Duration timeout) {
    Durations.requirePositive("timeout", timeout);
    return copy(
        queue,
        priority,
        runAt,
        delay,
        maxAttempts,
        expiresAt,
        expiresIn,
        timeout,
        unique,
        id,
        deterministicId);
  }

  /** Makes the job unique. */
  public JobRequest unique(Unique unique) {
    Objects.requireNonNull(unique, "unique");
    return copy(
        queue,
        priority,
        runAt,
        delay,
        maxAttempts,
        expiresAt,
        expiresIn,
        timeout,
        unique,
        id,
        deterministicId);
  }

  /** The job's id: an enqueue with an id that exists answers with that job (any state). */
  public JobRequest id(String id) {
    Texts.requireCleanText("id", Objects.requireNonNull(id, "id"), 255);
    return copy(
        queue,
        priority,
        runAt,
        delay,
        maxAttempts,
        expiresAt,
        expiresIn,
        timeout,
        unique,
        id,
        false);
  }

  /**
   * The id is {@link JobIds#deterministic derived} from the type, the unique key and its period, so
   * every process that enqueues this job names it the same. Needs {@link #unique}.
   */
  public JobRequest deterministicId() {
    return copy(
        queue,
        priority,
        runAt,
        delay,
        maxAttempts,
        expiresAt,
        expiresIn,
        timeout,
        unique,
        null,
        true);
  }

  public String type() {
    return type;
  }

  public @Nullable Object args() {
    return args;
  }

  public String queue() {
    return queue;
  }

  public int priority() {
    return priority;
  }

  public @Nullable Instant runAt() {
    return runAt;
  }

  public @Nullable Duration delay() {
    return delay;
  }

  public @Nullable Integer maxAttempts() {
    return maxAttempts;
  }

  public @Nullable Instant expiresAt() {
    return expiresAt;
  }

  public @Nullable Duration expiresIn() {
    return expiresIn;
  }

  public @Nullable Duration timeout() {
    return timeout;
  }

  public @Nullable Unique unique() {
    return unique;
  }

  public @Nullable String id() {
    return id;
  }

  public boolean hasDeterministicId() {
    return deterministicId;
  }

  @Override
  public String toString() {
    return "JobRequest[" + type + " on " + queue + (unique != null ? ", " + unique : "") + "]";
  }
}
