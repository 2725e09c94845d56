package io.idem.tracker;

import io.idem.Scope;
import io.idem.internal.Texts;
import io.idem.lock.LockManager;
import io.idem.memory.InMemoryLockStore;
import io.idem.spi.ProcessedSetStore;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Makes {@link DeduplicationTracker}s: any number of independent trackers per scope.
 *
 * <pre>{@code
 * Trackers trackers = Trackers.create(setStore, LockManager.create(lockStore));
 * DeduplicationTracker saved = trackers.tracker("saved_jobs", Scope.user(42));
 * saved.runOnce(jobId, () -> saveJob(jobId));
 * }</pre>
 *
 * Or over a session's attribute map (an HttpSession's, say), in the seed's layout: {@link
 * #session(Map, String)}. Thread-safe.
 */
public final class Trackers {

  /** How long runOnce's lock on an id lasts (kept alive while the action runs): 60 s. */
  public static final Duration DEFAULT_LOCK_LEASE = Duration.ofSeconds(60);

  private static final Pattern TRACKER_ID = Pattern.compile("[A-Za-z0-9_.-]{1,100}");
  private static final LockManager SESSION_LOCKS = LockManager.create(InMemoryLockStore.create());

  private final ProcessedSetStore sets;
  private final LockManager locks;
  private final Duration lockLease;

  private Trackers(ProcessedSetStore sets, LockManager locks, Duration lockLease) {
    this.sets = Objects.requireNonNull(sets, "sets");
    this.locks = Objects.requireNonNull(locks, "locks");
    this.lockLease = lockLease;
  }

  /** Trackers over {@code sets}, with runOnce locks from {@code locks}. */
  public static Trackers create(ProcessedSetStore sets, LockManager locks) {
    return new Trackers(sets, locks, DEFAULT_LOCK_LEASE);
  }

  /** The tracker {@code trackerId} of {@code scope}. */
  public DeduplicationTracker tracker(String trackerId, Scope scope) {
    checkTrackerId(trackerId);
    Objects.requireNonNull(scope, "scope");
    String set = scope + "/" + trackerId;
    return new DeduplicationTracker(sets, locks, set, "tracker:" + set + ":", lockLease);
  }

  /**
   * The tracker {@code trackerId} kept in a session's attributes, as the seed kept it: a list
   * {@code dedup_<trackerId>} of ids and a timestamp {@code __dedup_<trackerId>_last_modified}
   * (ISO-8601). runOnce locks are held in this process (a session lives on one node).
   */
  public static DeduplicationTracker session(Map<String, Object> attributes, String trackerId) {
    checkTrackerId(trackerId);
    SessionProcessedSetStore store = new SessionProcessedSetStore(attributes);
    String lockPrefix =
        "session-tracker:" + System.identityHashCode(attributes) + "/" + trackerId + ":";
    return new DeduplicationTracker(
        store, SESSION_LOCKS, trackerId, lockPrefix, DEFAULT_LOCK_LEASE);
  }

  static void checkTrackerId(String trackerId) {
    Objects.requireNonNull(trackerId, "trackerId");
    if (!TRACKER_ID.matcher(trackerId).matches()) {
      throw new IllegalArgumentException(
          "tracker id must be 1 to 100 letters, digits, '_', '.' or '-', but was \""
              + Texts.printable(trackerId)
              + "\"");
    }
  }
}
