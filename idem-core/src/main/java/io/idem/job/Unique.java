package io.idem.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.idem.internal.CanonicalJson;
import io.idem.internal.Durations;
import io.idem.internal.Hashing;
import io.idem.internal.Texts;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What makes a job unique: the parts of its unique key, the states in which it holds the key, and
 * what an enqueue does on a conflict. Immutable; build with the static factories and the {@code
 * with}-style methods:
 *
 * <pre>{@code
 * Unique.byEntity("user", 123)                       // one job of this type per user
 * Unique.byArgs("userId", "kind")                    // chosen fields of the args
 * Unique.byArgs().perPeriod(Duration.ofHours(1))     // the same args once per hour of runAt
 * Unique.byKey("nightly-report").reuse(ReusePolicy.REJECT).onConflict(ConflictPolicy.IGNORE)
 * }</pre>
 *
 * <p>The key is always scoped by the job's type: {@code type:part[:queue][@bucket]}, where part is
 * {@code entity=id}, {@code key=...} or {@code args=<sha-256 of the canonical JSON of the chosen
 * fields>}, and bucket is the start of the period holding the job's run time (ISO-8601 UTC).
 *
 * <p>By default a job holds its key while SCHEDULED, QUEUED, RUNNING or FAILED (a retry pending);
 * {@link #states} adds states, {@link #reuse} adds final ones, conflicts are rejected.
 */
public final class Unique {

  private enum Kind {
    ARGS,
    KEY,
    ENTITY
  }

  private final Kind kind;
  private final List<String> fields;
  private final @Nullable String value;
  private final @Nullable Duration period;
  private final boolean byQueue;
  private final Set<JobState> states;
  private final ReusePolicy reuse;
  private final ConflictPolicy onConflict;

  private Unique(
      Kind kind,
      List<String> fields,
      @Nullable String value,
      @Nullable Duration period,
      boolean byQueue,
      Set<JobState> states,
      ReusePolicy reuse,
      ConflictPolicy onConflict) {
    this.kind = kind;
    this.fields = List.copyOf(fields);
    this.value = value;
    this.period = period;
    this.byQueue = byQueue;
    this.states = Set.copyOf(states);
    this.reuse = reuse;
    this.onConflict = onConflict;
  }

  private static Unique of(Kind kind, List<String> fields, @Nullable String value) {
    return new Unique(
        kind,
        fields,
        value,
        null,
        false,
        JobState.REQUIRED_UNIQUE_STATES,
        ReusePolicy.ALLOW,
        ConflictPolicy.REJECT);
  }

  /** Unique by type and all of the args. */
  public static Unique byArgs() {
    return of(Kind.ARGS, List.of(), null);
  }

  /** Unique by type and the named top-level fields of the args (a missing field counts as null). */
  public static Unique byArgs(String... fields) {
    List<String> f = new ArrayList<>();
    for (String field : fields) {
      Objects.requireNonNull(field, "field");
      if (field.isBlank()) {
        throw new IllegalArgumentException("a unique field name must not be blank");
      }
      f.add(field);
    }
    if (f.isEmpty()) {
      throw new IllegalArgumentException("byArgs(fields...) needs at least one field name");
    }
    return of(Kind.ARGS, f, null);
  }

  /** Unique by type and a key of the caller's. */
  public static Unique byKey(String key) {
    Texts.requireCleanText("unique key", Objects.requireNonNull(key, "key"), 200);
    return of(Kind.KEY, List.of(), key);
  }

  /** Unique by type and an entity, such as {@code byEntity("user", 123)}. */
  public static Unique byEntity(String entity, Object id) {
    Texts.requireCleanText("entity", Objects.requireNonNull(entity, "entity"), 100);
    Objects.requireNonNull(id, "id");
    String text = String.valueOf(id);
    Texts.requireCleanText("entity id", text, 150);
    return of(Kind.ENTITY, List.of(), entity + "=" + text);
  }

  /**
   * The key also holds the period of the job's run time: {@code Duration.ofDays(1)} makes one job
   * per UTC day. Periods are counted from the epoch.
   */
  public Unique perPeriod(Duration period) {
    Durations.requirePositive("period", period);
    if (period.toMillis() < 1000) {
      throw new IllegalArgumentException("period must be at least 1 second, but was " + period);
    }
    return new Unique(kind, fields, value, period, byQueue, states, reuse, onConflict);
  }

  /** The key also holds the queue: the same job may wait once per queue. */
  public Unique byQueue() {
    return new Unique(kind, fields, value, period, true, states, reuse, onConflict);
  }

  /**
   * States in which the job also holds its key, on top of SCHEDULED, QUEUED, RUNNING and FAILED
   * (which always stay included).
   */
  public Unique states(JobState... more) {
    EnumSet<JobState> s = EnumSet.copyOf(JobState.REQUIRED_UNIQUE_STATES);
    for (JobState st : more) {
      s.add(Objects.requireNonNull(st, "state"));
    }
    return new Unique(kind, fields, value, period, byQueue, s, reuse, onConflict);
  }

  /** Whether a finished job still blocks the key. Default {@link ReusePolicy#ALLOW}. */
  public Unique reuse(ReusePolicy reuse) {
    return new Unique(
        kind,
        fields,
        value,
        period,
        byQueue,
        states,
        Objects.requireNonNull(reuse, "reuse"),
        onConflict);
  }

  /** What an enqueue does on a conflict. Default {@link ConflictPolicy#REJECT}. */
  public Unique onConflict(ConflictPolicy onConflict) {
    return new Unique(
        kind,
        fields,
        value,
        period,
        byQueue,
        states,
        reuse,
        Objects.requireNonNull(onConflict, "onConflict"));
  }

  public ConflictPolicy conflictPolicy() {
    return onConflict;
  }

  public @Nullable Duration period() {
    return period;
  }

  /** Every state in which the job holds its key: the states plus the reuse policy's. */
  public Set<JobState> uniqueStates() {
    EnumSet<JobState> s = EnumSet.copyOf(states);
    s.addAll(reuse.blockingFinalStates());
    return s;
  }

  /** The start of the period holding {@code runAt}; null without a period. */
  public @Nullable Instant bucket(Instant runAt) {
    if (period == null) {
      return null;
    }
    long p = period.toMillis();
    return Instant.ofEpochMilli(Math.floorDiv(runAt.toEpochMilli(), p) * p);
  }

  /** The unique key of a job of {@code type} on {@code queue} with {@code args} due at runAt. */
  public String key(String type, String queue, JsonNode args, Instant runAt) {
    StringBuilder sb = new StringBuilder(type).append(':');
    switch (kind) {
      case KEY -> sb.append("key=").append(value);
      case ENTITY -> sb.append(value);
      case ARGS -> sb.append("args=").append(argsDigest(args));
    }
    if (byQueue) {
      sb.append(":queue=").append(queue);
    }
    Instant b = bucket(runAt);
    if (b != null) {
      sb.append('@').append(b);
    }
    return sb.toString();
  }

  private String argsDigest(JsonNode args) {
    Object chosen;
    if (fields.isEmpty()) {
      chosen = args;
    } else {
      Map<String, @Nullable Object> m = new LinkedHashMap<>();
      for (String f : fields) {
        JsonNode v = args.get(f);
        m.put(f, v == null || v.isNull() ? null : v);
      }
      chosen = m;
    }
    String canonical = CanonicalJson.toJson(chosen);
    return Hashing.sha256Hex(canonical.getBytes(StandardCharsets.UTF_8)).substring(0, 32);
  }

  @Override
  public String toString() {
    return "Unique["
        + kind
        + (fields.isEmpty() ? "" : " " + fields)
        + (value != null ? " " + value : "")
        + (period != null ? ", per " + period : "")
        + (byQueue ? ", by queue" : "")
        + ", states "
        + uniqueStates()
        + ", on conflict "
        + onConflict
        + "]";
  }
}
