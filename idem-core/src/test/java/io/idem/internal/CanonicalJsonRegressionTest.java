package io.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.idem.IdempotencyKey;
import java.net.URI;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Regressions found by review of the canonical form: each test is named after what broke. */
class CanonicalJsonRegressionTest {

  /** A bean (not a record) with a set and a date-time. */
  public static final class Order {
    private final Set<String> tags;
    private final OffsetDateTime at;

    Order(Set<String> tags, OffsetDateTime at) {
      this.tags = tags;
      this.at = at;
    }

    public Set<String> getTags() {
      return tags;
    }

    public OffsetDateTime getAt() {
      return at;
    }
  }

  record OrderRecord(Set<String> tags, Instant at) {}

  @Test
  void beansFollowTheSameRulesAsRecordsForSetsAndDateTimes() {
    Set<String> ab = new LinkedHashSet<>(List.of("a", "b"));
    Set<String> ba = new LinkedHashSet<>(List.of("b", "a"));
    OffsetDateTime paris = OffsetDateTime.of(2026, 1, 1, 11, 0, 0, 0, ZoneOffset.ofHours(1));
    OffsetDateTime utc = OffsetDateTime.of(2026, 1, 1, 10, 0, 0, 0, ZoneOffset.UTC);

    String one = CanonicalJson.toJson(new Order(ab, paris));
    String two = CanonicalJson.toJson(new Order(ba, utc));
    String record = CanonicalJson.toJson(new OrderRecord(ba, utc.toInstant()));

    assertThat(one).isEqualTo(two).isEqualTo(record);
    assertThat(one).isEqualTo("{\"at\":\"2026-01-01T10:00:00Z\",\"tags\":[\"a\",\"b\"]}");
  }

  /** Jackson annotations on beans are honoured: renamed and ignored properties. */
  public static final class Annotated {
    @JsonProperty("renamed")
    public int value = 1;

    @JsonIgnore public String secret = "x";
  }

  @Test
  void beanPropertiesAreThoseJacksonSees() {
    assertThat(CanonicalJson.toJson(new Annotated())).isEqualTo("{\"renamed\":1}");
  }

  @Test
  void typesJacksonWritesAsValuesStayValues() {
    assertThat(CanonicalJson.toJson(URI.create("https://example.org/a")))
        .isEqualTo("\"https://example.org/a\"");
  }

  @Test
  void doublesAreWrittenTheSameOnEveryJdk() {
    // JDK 17's Double.toString(1e23) is "9.999999999999999E22"; JDK 19+ and Schubfach say 1.0E23.
    assertThat(CanonicalJson.toJson(1e23)).isEqualTo("100000000000000000000000");
    assertThat(CanonicalJson.toJson(2e-3)).isEqualTo("0.002");
    assertThat(CanonicalJson.toJson(0.1f)).isEqualTo(CanonicalJson.toJson(0.1));
  }

  /** A bean whose getter builds a key while its own key is being built. */
  public static final class Nested {
    public String getInner() {
      return IdempotencyKey.of("inner", Map.of("x", 1)).value();
    }

    public int getN() {
      return 7;
    }
  }

  @Test
  void aGetterThatBuildsAKeyDoesNotCorruptTheOuterKey() {
    String expected =
        "{\"inner\":\"" + IdempotencyKey.of("inner", Map.of("x", 1)).value() + "\",\"n\":7}";
    assertThat(CanonicalJson.toJson(new Nested())).isEqualTo(expected);
  }

  @Test
  void aLargePayloadDoesNotBreakLaterSmallOnes() {
    String big = "x".repeat(200_000);
    assertThat(CanonicalJson.toBytes(big)).hasSize(200_002);
    assertThat(CanonicalJson.toJson(Map.of("a", 1))).isEqualTo("{\"a\":1}");
  }
}
