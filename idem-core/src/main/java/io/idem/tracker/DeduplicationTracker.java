package io.idem.tracker;

import io.idem.IdemExecutionException;
import io.idem.internal.Texts;
import io.idem.lock.LockManager;
import io.idem.lock.LockOutcome;
import io.idem.spi.ProcessedSetStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * One named set of processed job ids, for one scope (a user, a session, a tenant): "has this job
 * been saved/sent/imported already?". Made by {@link Trackers}; thread-safe.
 *
 * <p>{@link #runOnce} runs an action for an id that is not processed yet and marks the id only when
 * the action succeeded; a failure leaves it unmarked for a retry, and two runOnce calls for the
 * same id never run the action at the same time (one holds a lock on the id, the other is told
 * {@link TrackerOutcome.Kind#IN_PROGRESS}).
 */
public final class DeduplicationTracker {

  /** Longest job id accepted, in characters. */
  public static final int MAX_ID_LENGTH = 512;

  private final ProcessedSetStore sets;
  private final LockManager locks;
  private final String set;
  private final String lockPrefix;
  private final Duration lockLease;

  DeduplicationTracker(
      ProcessedSetStore sets,
      LockManager locks,
      String set,
      String lockPrefix,
      Duration lockLease) {
    this.sets = sets;
    this.locks = locks;
    this.set = set;
    this.lockPrefix = lockPrefix;
    this.lockLease = lockLease;
  }

  /** The set's name in the store: {@code scope/trackerId}. */
  public String name() {
    return set;
  }

  /** True when {@code jobId} is marked processed. */
  public boolean isProcessed(String jobId) {
    return sets.contains(set, id(jobId));
  }

  /** Marks {@code jobId} processed; true when it was not. */
  public boolean markProcessed(String jobId) {
    return sets.add(set, id(jobId));
  }

  /** Unmarks {@code jobId}, so it may be processed again; true when it was marked. */
  public boolean unmarkProcessed(String jobId) {
    return sets.remove(set, id(jobId));
  }

  /** Every processed id. */
  public Set<String> allProcessed() {
    return sets.members(set);
  }

  /** Forgets every processed id; returns how many there were. */
  public int clearAll() {
    return sets.clear(set);
  }

  /** When the set last changed; empty when never changed or cleared. */
  public Optional<Instant> lastModified() {
    return sets.lastModified(set);
  }

  /**
   * Runs {@code action} for {@code jobId} unless it is processed already or being run elsewhere;
   * marks the id when the action succeeds.
   *
   * @throws IdemExecutionException when the action throws a checked exception (its cause); runtime
   *     exceptions and errors are rethrown as they are; in every failure the id stays unmarked
   */
  public <T> TrackerOutcome<T> runOnce(String jobId, Callable<T> action) {
    String id = id(jobId);
    Objects.requireNonNull(action, "action");
    if (sets.contains(set, id)) {
      return TrackerOutcome.of(TrackerOutcome.Kind.ALREADY_PROCESSED);
    }
    LockOutcome<TrackerOutcome<T>> outcome =
        locks.tryRun(
            lockPrefix + id,
            lockLease,
            Duration.ZERO,
            lock -> {
              if (sets.contains(set, id)) { // finished by another caller meanwhile
                return TrackerOutcome.of(TrackerOutcome.Kind.ALREADY_PROCESSED);
              }
              T value = action.call();
              sets.add(set, id);
              return TrackerOutcome.ran(value);
            });
    return outcome.wasExecuted()
        ? Objects.requireNonNull(outcome.value())
        : TrackerOutcome.of(TrackerOutcome.Kind.IN_PROGRESS);
  }

  private static String id(String jobId) {
    Objects.requireNonNull(jobId, "jobId");
    return Texts.requireCleanText("job id", jobId, MAX_ID_LENGTH);
  }

  @Override
  public String toString() {
    return "DeduplicationTracker[" + set + "]";
  }
}
