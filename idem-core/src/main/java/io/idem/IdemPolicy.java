package io.idem;

import io.idem.internal.Durations;
import io.idem.internal.Texts;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How one call (or every call, as {@link Idem}'s default) behaves. Immutable and thread-safe; build
 * with {@link #builder()} or change a copy with {@link #toBuilder()}.
 *
 * <ul>
 *   <li>{@code ttl}: how long the result is kept; unset, the TTL comes from the {@code category}
 *       (see {@link TtlCategories}).
 *   <li>{@code lease}: how long a claim holds before another caller may take it over; default
 *       {@link #DEFAULT_LEASE}.
 *   <li>{@code heartbeat}: how often the lease is extended while the body runs; default a third of
 *       the lease; {@link Builder#noHeartbeat()} turns it off.
 *   <li>{@code onInProgress}: wait (default, up to 30 s) or reject.
 *   <li>{@code onFailure}: release (default) or cache the failure.
 *   <li>{@code maxAttempts}: the most claims one record may have (takeovers of crashed holders and
 *       re-claims after released failures count); default unlimited.
 * </ul>
 */
public final class IdemPolicy {

  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_ATTEMPTS = Integer.MAX_VALUE;

  private static final IdemPolicy DEFAULTS = new Builder().build();

  private final @Nullable Duration ttl;
  private final @Nullable String category;
  private final Duration lease;
  private final @Nullable Duration heartbeat;
  private final @Nullable Duration explicitHeartbeat; // as set on the builder; null: lease / 3
  private final InProgressPolicy onInProgress;
  private final FailurePolicy onFailure;
  private final int maxAttempts;

  private IdemPolicy(Builder b) {
    this.ttl = b.ttl;
    this.category = b.category;
    this.lease = b.lease;
    this.heartbeat = b.heartbeatOff ? null : b.heartbeat != null ? b.heartbeat : lease.dividedBy(3);
    this.explicitHeartbeat = b.heartbeat;
    this.onInProgress = b.onInProgress;
    this.onFailure = b.onFailure;
    this.maxAttempts = b.maxAttempts;
  }

  /** The defaults listed in the class comment. */
  public static IdemPolicy defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this policy. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.ttl = ttl;
    b.category = category;
    b.lease = lease;
    b.heartbeat = explicitHeartbeat;
    b.heartbeatOff = heartbeat == null;
    b.onInProgress = onInProgress;
    b.onFailure = onFailure;
    b.maxAttempts = maxAttempts;
    return b;
  }

  /** The TTL set on this policy, or null to take it from the category. */
  public @Nullable Duration ttl() {
    return ttl;
  }

  /** The TTL category set on this policy, or null to take it from the key. */
  public @Nullable String category() {
    return category;
  }

  public Duration lease() {
    return lease;
  }

  /** How often the lease is extended while the body runs; null when heartbeats are off. */
  public @Nullable Duration heartbeat() {
    return heartbeat;
  }

  public InProgressPolicy onInProgress() {
    return onInProgress;
  }

  public FailurePolicy onFailure() {
    return onFailure;
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  @Override
  public String toString() {
    return "IdemPolicy[ttl="
        + ttl
        + ", category="
        + category
        + ", lease="
        + lease
        + ", heartbeat="
        + heartbeat
        + ", onInProgress="
        + onInProgress
        + ", onFailure="
        + onFailure
        + ", maxAttempts="
        + maxAttempts
        + "]";
  }

  /** Builds an {@link IdemPolicy}, checking each value as it is set. Not thread-safe. */
  public static final class Builder {
    private @Nullable Duration ttl;
    private @Nullable String category;
    private Duration lease = DEFAULT_LEASE;
    private @Nullable Duration heartbeat;
    private boolean heartbeatOff;
    private InProgressPolicy onInProgress = InProgressPolicy.waitDefault();
    private FailurePolicy onFailure = FailurePolicy.release();
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;

    private Builder() {}

    /** Keeps results for {@code ttl}, whatever the category. */
    public Builder ttl(Duration ttl) {
      this.ttl = Durations.requirePositive("ttl", ttl);
      return this;
    }

    /** Takes the TTL from {@code category} (unless {@link #ttl} is set). */
    public Builder category(String category) {
      this.category = Texts.requireCleanText("category", category, 100);
      return this;
    }

    public Builder lease(Duration lease) {
      this.lease = Durations.requirePositive("lease", lease);
      return this;
    }

    /**
     * Extends the lease every {@code every} while the body runs; {@link #build()} checks that it is
     * shorter than the lease, whatever order the two are set in.
     */
    public Builder heartbeat(Duration every) {
      this.heartbeat = Durations.requirePositive("heartbeat", every);
      this.heartbeatOff = false;
      return this;
    }

    /** Never extends the lease: a body that runs longer than the lease may be taken over. */
    public Builder noHeartbeat() {
      this.heartbeat = null;
      this.heartbeatOff = true;
      return this;
    }

    public Builder onInProgress(InProgressPolicy policy) {
      this.onInProgress = Objects.requireNonNull(policy, "onInProgress");
      return this;
    }

    public Builder onFailure(FailurePolicy policy) {
      this.onFailure = Objects.requireNonNull(policy, "onFailure");
      return this;
    }

    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException(
            "maxAttempts must be at least 1, but was " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * The policy.
     *
     * @throws IllegalArgumentException when the heartbeat is not shorter than the lease
     */
    public IdemPolicy build() {
      if (!heartbeatOff && heartbeat != null && heartbeat.compareTo(lease) >= 0) {
        throw new IllegalArgumentException(
            "heartbeat must be shorter than the lease (" + lease + "), but was " + heartbeat);
      }
      return new IdemPolicy(this);
    }
  }
}
