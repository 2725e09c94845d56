package io.idem.job;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A page of jobs to list, newest first.
 *
 * @param states the states to list; empty for all
 * @param type only jobs of this type; null for all
 * @param queue only jobs of this queue; null for all
 * @param uniqueKey only jobs with this unique key; null for all
 * @param limit the page size, 1 to {@link #MAX_LIMIT}
 * @param after the {@link JobPage#next() cursor} of the previous page; null for the first
 */
public record JobQuery(
    Set<JobState> states,
    @Nullable String type,
    @Nullable String queue,
    @Nullable String uniqueKey,
    int limit,
    @Nullable String after) {

  /** The largest page: 1,000 jobs. */
  public static final int MAX_LIMIT = 1000;

  /** The page size of {@link #all()}: 50. */
  public static final int DEFAULT_LIMIT = 50;

  public JobQuery {
    states = states.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(states));
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException(
          "limit must be between 1 and " + MAX_LIMIT + ", but was " + limit);
    }
    if (after != null) {
      Cursor.parse(after);
    }
  }

  /** The first page of every job. */
  public static JobQuery all() {
    return new JobQuery(Set.of(), null, null, null, DEFAULT_LIMIT, null);
  }

  public JobQuery withStates(Set<JobState> states) {
    return new JobQuery(states, type, queue, uniqueKey, limit, after);
  }

  public JobQuery withType(@Nullable String type) {
    return new JobQuery(states, type, queue, uniqueKey, limit, after);
  }

  public JobQuery withQueue(@Nullable String queue) {
    return new JobQuery(states, type, queue, uniqueKey, limit, after);
  }

  public JobQuery withUniqueKey(@Nullable String uniqueKey) {
    return new JobQuery(states, type, queue, uniqueKey, limit, after);
  }

  public JobQuery withLimit(int limit) {
    return new JobQuery(states, type, queue, uniqueKey, limit, after);
  }

  public JobQuery withAfter(@Nullable String after) {
    return new JobQuery(states, type, queue, uniqueKey, limit, after);
  }

  /** True when {@code job} passes the filters (not the cursor). */
  public boolean matches(Job job) {
    return (states.isEmpty() || states.contains(job.state()))
        && (type == null || type.equals(job.type()))
        && (queue == null || queue.equals(job.queue()))
        && (uniqueKey == null || uniqueKey.equals(job.uniqueKey()));
  }

  /**
   * A position in the newest-first order: the creation time (epoch ms) and id of the last job of a
   * page. Jobs come after it when they were created earlier, or at the same millisecond with a
   * smaller id.
   */
  public record Cursor(long createdAtMillis, String id) {

    public Cursor {
      Objects.requireNonNull(id, "id");
    }

    /** The cursor after {@code job}. */
    public static Cursor after(Job job) {
      return new Cursor(job.createdAt().toEpochMilli(), job.id());
    }

    /** Parses {@code text} as written by {@link #toString()}. */
    public static Cursor parse(String text) {
      int colon = text.indexOf(':');
      if (colon <= 0 || colon == text.length() - 1) {
        throw new IllegalArgumentException("page cursor must be millis:id, but was '" + text + "'");
      }
      try {
        return new Cursor(Long.parseLong(text.substring(0, colon)), text.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("page cursor must be millis:id, but was '" + text + "'");
      }
    }

    /** True when {@code job} comes after this cursor in the newest-first order. */
    public boolean precedes(Job job) {
      long t = job.createdAt().toEpochMilli();
      return t < createdAtMillis || (t == createdAtMillis && job.id().compareTo(id) < 0);
    }

    @Override
    public String toString() {
      return createdAtMillis + ":" + id;
    }
  }
}
