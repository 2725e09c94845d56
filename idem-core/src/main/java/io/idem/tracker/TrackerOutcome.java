package io.idem.tracker;

import org.jspecify.annotations.Nullable;

/**
 * How {@link DeduplicationTracker#runOnce} ended. Immutable.
 *
 * @param <T> the action's result
 */
public final class TrackerOutcome<T> {

  /** The three ends of a runOnce. */
  public enum Kind {
    /** The action ran and succeeded; the id is marked processed now. */
    RAN,
    /** The id was processed already; the action did not run. */
    ALREADY_PROCESSED,
    /** Another runOnce is running the action for this id right now; this one did not run it. */
    IN_PROGRESS
  }

  private final Kind kind;
  private final @Nullable T value;

  private TrackerOutcome(Kind kind, @Nullable T value) {
    this.kind = kind;
    this.value = value;
  }

  static <T> TrackerOutcome<T> ran(@Nullable T value) {
    return new TrackerOutcome<>(Kind.RAN, value);
  }

  static <T> TrackerOutcome<T> of(Kind kind) {
    return new TrackerOutcome<>(kind, null);
  }

  public Kind kind() {
    return kind;
  }

  /** True when the action ran in this call. */
  public boolean ran() {
    return kind == Kind.RAN;
  }

  /** The action's result when it ran; null otherwise. */
  public @Nullable T value() {
    return value;
  }

  @Override
  public String toString() {
    return "TrackerOutcome[" + kind + (kind == Kind.RAN ? ": " + value : "") + "]";
  }
}
