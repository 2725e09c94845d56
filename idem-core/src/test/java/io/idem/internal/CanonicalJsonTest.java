package io.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {

  record Point(int y, int x) {}

  enum Level {
    LOW
  }

  /** A bean with fields in non-alphabetical order. */
  public static final class Bean {
    private final String zeta;
    private final double alpha;

    Bean(String zeta, double alpha) {
      this.zeta = zeta;
      this.alpha = alpha;
    }

    public String getZeta() {
      return zeta;
    }

    public double getAlpha() {
      return alpha;
    }
  }

  /** A bean that refers to itself. */
  public static final class SelfBean {
    public SelfBean getSelf() {
      return this;
    }
  }

  @Test
  void fieldsAreSortedByName() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("b", 1);
    map.put("a", Map.of("z", 1, "y", 2));
    map.put("C", 3);

    assertThat(CanonicalJson.toJson(map)).isEqualTo("{\"C\":3,\"a\":{\"y\":2,\"z\":1},\"b\":1}");
    assertThat(CanonicalJson.toJson(new Point(2, 1))).isEqualTo("{\"x\":1,\"y\":2}");
    assertThat(CanonicalJson.toJson(new Bean("z", 0.5)))
        .isEqualTo("{\"alpha\":0.5,\"zeta\":\"z\"}");
  }

  @Test
  void numbersAreNormalised() {
    assertThat(
            CanonicalJson.toJson(
                List.of(
                    1,
                    1L,
                    1.0,
                    1.0f,
                    new BigDecimal("1.00"),
                    BigInteger.ONE,
                    0.1f,
                    0.1,
                    -0.0,
                    new BigDecimal("1E+3"),
                    1e-7,
                    12.50)))
        .isEqualTo("[1,1,1,1,1,1,0.1,0.1,0,1000,0.0000001,12.5]");
  }

  @Test
  void canonicalDecimalStripsZerosAndKeepsHugeOrTinyValuesInExponentForm() {
    assertThat(CanonicalJson.canonicalDecimal(new BigDecimal("1.00"))).isEqualTo("1");
    assertThat(CanonicalJson.canonicalDecimal(new BigDecimal("100"))).isEqualTo("100");
    assertThat(CanonicalJson.canonicalDecimal(new BigDecimal("-0.000"))).isEqualTo("0");
    assertThat(CanonicalJson.canonicalDecimal(new BigDecimal("0E+5"))).isEqualTo("0");
    assertThat(CanonicalJson.canonicalDecimal(new BigDecimal("-12.340"))).isEqualTo("-12.34");
    assertThat(CanonicalJson.canonicalDecimal(new BigDecimal("1E+40")))
        .isEqualTo("1" + "0".repeat(40));
    assertThat(CanonicalJson.canonicalDecimal(new BigDecimal("1E+41"))).isEqualTo("1E+41");
    assertThat(CanonicalJson.canonicalDecimal(new BigDecimal("1E-41"))).isEqualTo("1E-41");
  }

  @Test
  void otherValuesHaveOneForm() {
    UUID id = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("bytes", "hi".getBytes(StandardCharsets.UTF_8));
    values.put("char", 'c');
    values.put("date", LocalDate.of(2025, 10, 1));
    values.put("duration", Duration.ofMinutes(90));
    values.put("enum", Level.LOW);
    values.put("instant", OffsetDateTime.of(2025, 1, 1, 12, 0, 0, 0, ZoneOffset.ofHours(2)));
    values.put("none", Optional.empty());
    values.put("optInt", OptionalInt.of(3));
    values.put("optDouble", OptionalDouble.of(2.0));
    values.put("set", Set.of("b", "a"));
    values.put("text", new StringBuilder("sb"));
    values.put("uuid", id);

    assertThat(CanonicalJson.toJson(values))
        .isEqualTo(
            "{\"bytes\":\"aGk=\",\"char\":\"c\",\"date\":\"2025-10-01\",\"duration\":\"PT1H30M\","
                + "\"enum\":\"LOW\",\"instant\":\"2025-01-01T10:00:00Z\",\"none\":null,"
                + "\"optDouble\":2,\"optInt\":3,\"set\":[\"a\",\"b\"],\"text\":\"sb\","
                + "\"uuid\":\"123e4567-e89b-12d3-a456-426614174000\"}");
  }

  @Test
  void stringsAreEscapedAsValidJson() throws Exception {
    String tricky = "quote\" backslash\\ newline\n tab\t nul\u0000 é 🎉";

    String json = CanonicalJson.toJson(Map.of("s", tricky));

    assertThat(new ObjectMapper().readTree(json).get("s").textValue()).isEqualTo(tricky);
    assertThat(CanonicalJson.toBytes(Map.of("s", tricky)))
        .isEqualTo(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void jsonNodesAreCanonicalisedToo() throws Exception {
    ObjectMapper mapper = new ObjectMapper();

    assertThat(CanonicalJson.toJson(mapper.readTree("{\"b\":1.0,\"a\":[2.50,{\"d\":1,\"c\":0}]}")))
        .isEqualTo("{\"a\":[2.5,{\"c\":0,\"d\":1}],\"b\":1}");
  }

  @Test
  void nanInsideABeanIsRefused() {
    assertThatThrownBy(() -> CanonicalJson.toBytes(new Bean("x", Double.NaN)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
  }

  @Test
  void selfReferencingBeanIsRefused() {
    assertThatThrownBy(() -> CanonicalJson.toBytes(new SelfBean()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(SelfBean.class.getName());
  }

  @Test
  void deepNestingIsRefusedEvenWithoutACycle() {
    Object nested = "leaf";
    for (int i = 0; i < CanonicalJson.MAX_DEPTH; i++) {
      nested = List.of(nested);
    }
    assertThat(CanonicalJson.toJson(nested))
        .startsWith("[[[")
        .endsWith("\"leaf\"" + "]".repeat(64));

    Object deeper = List.of(nested);
    assertThatThrownBy(() -> CanonicalJson.toJson(deeper))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("64");
  }

  @Test
  void aFailedWriteDoesNotSpoilTheNextOne() {
    List<Object> cyclic = new ArrayList<>();
    cyclic.add(cyclic);
    assertThatThrownBy(() -> CanonicalJson.toBytes(cyclic))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(CanonicalJson.toJson(Map.of("a", 1))).isEqualTo("{\"a\":1}");
  }

  @Test
  void largeOutputIsWhole() {
    String big = "x".repeat(200_000);

    assertThat(CanonicalJson.toJson(List.of(big))).hasSize(200_004);
    assertThat(CanonicalJson.toJson(1)).isEqualTo("1");
  }

  @Test
  void nullIsJsonNull() {
    assertThat(CanonicalJson.toJson(null)).isEqualTo("null");
  }
}
