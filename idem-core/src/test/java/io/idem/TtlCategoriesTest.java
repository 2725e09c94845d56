package io.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TtlCategoriesTest {

  @Test
  void defaults() {
    TtlCategories ttls = TtlCategories.defaults();

    assertThat(ttls.ttlFor("default")).isEqualTo(Duration.ofHours(1));
    assertThat(ttls.ttlFor("email")).isEqualTo(Duration.ofHours(2));
    assertThat(ttls.ttlFor("report")).isEqualTo(Duration.ofHours(24));
    assertThat(ttls.ttlFor("critical")).isEqualTo(Duration.ofHours(4));
    assertThat(ttls.ttlFor("mutation")).isEqualTo(Duration.ofHours(6));
    assertThat(ttls.ttlFor("maintenance")).isEqualTo(Duration.ofHours(12));
    assertThat(ttls.asMap()).hasSize(6);
    assertThat(TtlCategories.DEFAULT_TTL).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void unknownOrNullCategoryGetsTheDefault() {
    assertThat(TtlCategories.defaults().ttlFor("nope")).isEqualTo(Duration.ofHours(1));
    assertThat(TtlCategories.defaults().ttlFor(null)).isEqualTo(Duration.ofHours(1));
    assertThat(TtlCategories.defaults().has("nope")).isFalse();
    assertThat(TtlCategories.defaults().has("email")).isTrue();
  }

  @Test
  void builderStartsFromTheDefaultsAndOverrides() {
    TtlCategories ttls =
        TtlCategories.builder()
            .ttl("email", Duration.ofMinutes(30))
            .ttl("invoice", Duration.ofDays(7))
            .build();

    assertThat(ttls.ttlFor("email")).isEqualTo(Duration.ofMinutes(30));
    assertThat(ttls.ttlFor("invoice")).isEqualTo(Duration.ofDays(7));
    assertThat(ttls.ttlFor("report")).isEqualTo(Duration.ofHours(24));
    assertThat(TtlCategories.defaults().ttlFor("email")).isEqualTo(Duration.ofHours(2));
  }

  @Test
  void overridingDefaultChangesTheFallback() {
    TtlCategories ttls = TtlCategories.builder().ttl("default", Duration.ofMinutes(5)).build();

    assertThat(ttls.ttlFor("unknown")).isEqualTo(Duration.ofMinutes(5));
    assertThat(ttls.ttlFor(null)).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void zeroOrNegativeTtlIsRefusedNamingCategoryAndValue() {
    assertThatThrownBy(() -> TtlCategories.builder().ttl("x", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ttl of category x must be positive, but was PT0S");
    assertThatThrownBy(() -> TtlCategories.builder().ttl("x", Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ttl of category x must be positive, but was PT-1S");
  }

  @Test
  void badCategoryNamesAreRefused() {
    assertThatThrownBy(() -> TtlCategories.builder().ttl(" ", Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("category must not be blank");
    assertThatThrownBy(() -> TtlCategories.builder().ttl("a\nb", Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("control characters");
  }

  @Test
  void mapIsImmutable() {
    assertThatThrownBy(() -> TtlCategories.defaults().asMap().put("x", Duration.ofHours(1)))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
