package io.idem.job;

/** What an enqueue did. */
public enum EnqueueOutcome {
  /** A new job was stored. */
  ENQUEUED,
  /** Another job holds the key (or the id); nothing was stored. The server answers 409. */
  REJECTED,
  /** The waiting job with the key was rewritten with the new args and run time. */
  REPLACED,
  /** Another job holds the key (or the id) and the request said to ignore that. */
  IGNORED;

  /** True unless a new job was stored. */
  public boolean isDuplicate() {
    return this != ENQUEUED;
  }
}
