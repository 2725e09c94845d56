package io.idem.spi;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Named sets of processed ids, the storage of deduplication trackers ({@code
 * io.idem.tracker.DeduplicationTracker}). A set's name carries its scope and tracker id (for
 * example {@code user=42/saved_jobs}); each set has a last-modified time, moved by every change.
 * Each method is one atomic step in the backend; the contract suite {@code ProcessedSetContract} in
 * idem-testkit is the definition.
 *
 * <p>Time comes from the store's clock. Implementations are thread-safe; backend failures are
 * thrown as {@link io.idem.StoreUnavailableException}.
 */
public interface ProcessedSetStore extends AutoCloseable {

  /** Adds {@code member}; true when it was not there. A change moves the last-modified time. */
  boolean add(String set, String member);

  /** Removes {@code member}; true when it was there. A change moves the last-modified time. */
  boolean remove(String set, String member);

  /** True when {@code member} is in the set. */
  boolean contains(String set, String member);

  /** Every member of the set (empty for an unknown set). */
  Set<String> members(String set);

  /** Removes the set with its last-modified time; returns how many members it had. */
  int clear(String set);

  /** When the set last changed; empty for a set that was never changed or was cleared. */
  Optional<Instant> lastModified(String set);

  @Override
  void close();
}
