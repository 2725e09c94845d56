package io.idem.job;

import java.util.EnumSet;
import java.util.Set;

/**
 * The states of a job. Every store keeps the same {@link #code() codes} (SQL stores index them).
 *
 * <pre>
 * enqueue (runAt &gt; now) --&gt; SCHEDULED --(runAt passes)--&gt; QUEUED
 * enqueue (runAt &lt;= now) --&gt; QUEUED --claim--&gt; RUNNING(token+1, attempt+1, lease)
 * RUNNING --complete(token)--&gt; SUCCEEDED
 * RUNNING --fail(token, retryAt)--&gt; FAILED (retry pending at retryAt) --claim--&gt; RUNNING
 * RUNNING --fail(token) with attempts used up, or no retry--&gt; DEAD
 * RUNNING with its lease passed (worker died) --recover--&gt; QUEUED, or DEAD when attempts are used up
 * RUNNING --release(token)--&gt; QUEUED (graceful shutdown; the attempt is given back)
 * SCHEDULED/QUEUED/FAILED past expiresAt --&gt; EXPIRED (never run late)
 * SCHEDULED/QUEUED/FAILED/RUNNING --cancel--&gt; CANCELLED
 * DEAD/CANCELLED/EXPIRED/FAILED --retry--&gt; QUEUED
 * </pre>
 */
public enum JobState {
  /** Waiting for its run time. */
  SCHEDULED(0),
  /** Due: the next free worker of its queue takes it. */
  QUEUED(1),
  /** Claimed by a worker under a lease. */
  RUNNING(2),
  /** Done; its result is kept. Final. */
  SUCCEEDED(3),
  /** An attempt failed and a retry is scheduled at the job's run time (a scheduled run). */
  FAILED(4),
  /** Failed for the last time (attempts used up, or a failure that must not be retried). Final. */
  DEAD(5),
  /** Cancelled before it finished. Final. */
  CANCELLED(6),
  /** Not run because its expiry passed before a worker took it. Final. */
  EXPIRED(7);

  /**
   * The states a unique job always counts in: a job that is waiting, due, running or due again
   * (FAILED with a retry pending is a scheduled run) blocks another with the same key.
   */
  public static final Set<JobState> REQUIRED_UNIQUE_STATES =
      Set.copyOf(EnumSet.of(SCHEDULED, QUEUED, RUNNING, FAILED));

  /** The states in which a job has not started: those a REPLACE may rewrite. */
  public static final Set<JobState> WAITING = Set.copyOf(EnumSet.of(SCHEDULED, QUEUED, FAILED));

  private static final JobState[] BY_CODE = new JobState[8];

  static {
    for (JobState s : values()) {
      BY_CODE[s.code] = s;
    }
  }

  private final int code;

  JobState(int code) {
    this.code = code;
  }

  /** The stored code: 0 to 7, fixed forever. */
  public int code() {
    return code;
  }

  /** The bit of this state in a state mask: {@code 1 << code()}. */
  public int bit() {
    return 1 << code;
  }

  /** True for SUCCEEDED, DEAD, CANCELLED and EXPIRED: nothing happens to the job any more. */
  public boolean isFinal() {
    return this == SUCCEEDED || this == DEAD || this == CANCELLED || this == EXPIRED;
  }

  /** The state of a stored code. */
  public static JobState ofCode(int code) {
    if (code < 0 || code >= BY_CODE.length) {
      throw new IllegalArgumentException("job state code must be 0 to 7, but was " + code);
    }
    return BY_CODE[code];
  }

  /** The mask of {@code states}: the OR of their bits. */
  public static int mask(Set<JobState> states) {
    int m = 0;
    for (JobState s : states) {
      m |= s.bit();
    }
    return m;
  }

  /** The states of {@code mask}. */
  public static Set<JobState> ofMask(int mask) {
    EnumSet<JobState> s = EnumSet.noneOf(JobState.class);
    for (JobState st : values()) {
      if ((mask & st.bit()) != 0) {
        s.add(st);
      }
    }
    return s;
  }
}
