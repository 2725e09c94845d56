package io.idem;

import io.idem.internal.Texts;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How long a completed record is kept, by category. A call's TTL is the policy's own TTL when it
 * has one, else the TTL of the policy's category, else of the key's category, else of the key's
 * namespace when that names a category, else {@link #DEFAULT}'s.
 *
 * <p>Defaults: {@code default} 1 h, {@code email} 2 h, {@code critical} 4 h, {@code mutation} 6 h,
 * {@code maintenance} 12 h, {@code report} 24 h. Immutable and thread-safe.
 */
public final class TtlCategories {

  public static final String DEFAULT = "default";
  public static final String EMAIL = "email";
  public static final String REPORT = "report";
  public static final String CRITICAL = "critical";
  public static final String MUTATION = "mutation";
  public static final String MAINTENANCE = "maintenance";

  public static final Duration DEFAULT_TTL = Duration.ofHours(1);

  private static final TtlCategories DEFAULTS =
      builder()
          .ttl(DEFAULT, DEFAULT_TTL)
          .ttl(EMAIL, Duration.ofHours(2))
          .ttl(REPORT, Duration.ofHours(24))
          .ttl(CRITICAL, Duration.ofHours(4))
          .ttl(MUTATION, Duration.ofHours(6))
          .ttl(MAINTENANCE, Duration.ofHours(12))
          .build();

  private final Map<String, Duration> ttls;
  private final Duration fallback;

  private TtlCategories(Map<String, Duration> ttls) {
    this.ttls = Map.copyOf(ttls);
    this.fallback = ttls.getOrDefault(DEFAULT, DEFAULT_TTL);
  }

  /** The defaults listed in the class comment. */
  public static TtlCategories defaults() {
    return DEFAULTS;
  }

  /** A builder that starts from the defaults. */
  public static Builder builder() {
    return new Builder(DEFAULTS == null ? Map.of() : DEFAULTS.ttls);
  }

  /** The TTL of {@code category}, or of {@code default} for an unknown or null category. */
  public Duration ttlFor(@Nullable String category) {
    if (category == null) {
      return fallback;
    }
    Duration ttl = ttls.get(category);
    return ttl == null ? fallback : ttl;
  }

  /** True when {@code category} has a TTL of its own. */
  public boolean has(String category) {
    return ttls.containsKey(category);
  }

  /** Every category and its TTL. */
  public Map<String, Duration> asMap() {
    return ttls;
  }

  /** Builds {@link TtlCategories}; not thread-safe. */
  public static final class Builder {
    private final Map<String, Duration> ttls;

    private Builder(Map<String, Duration> start) {
      this.ttls = new LinkedHashMap<>(start);
    }

    /** Sets the TTL of {@code category}; it must be positive. */
    public Builder ttl(String category, Duration ttl) {
      Texts.requireCleanText("category", Objects.requireNonNull(category, "category"), 100);
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException(
            "ttl of category " + category + " must be positive, but was " + ttl);
      }
      ttls.put(category, ttl);
      return this;
    }

    public TtlCategories build() {
      return new TtlCategories(ttls);
    }
  }
}
