package io.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.ResultCodec;
import io.idem.ResultCodecException;
import io.idem.ResultType;
import io.idem.spi.StoredResult;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class JacksonResultCodecTest {

  public record Receipt(String id, BigDecimal amount, Instant at, List<String> lines) {}

  /** A result that Jackson cannot write: its getter throws. */
  public static final class Exploding {
    public String getValue() {
      throw new IllegalStateException("no value today");
    }
  }

  /** A result that has nothing Jackson can write. */
  public static final class Empty {}

  private final ResultCodec codec = ResultCodec.jackson();

  private static final Receipt RECEIPT =
      new Receipt(
          "r-1", new BigDecimal("12.50"), Instant.parse("2025-10-01T10:15:30Z"), List.of("a", "b"));

  /** Encodes, forgets the live value (as a store that keeps text does), decodes. */
  private Object roundTrip(Object value, Type type) {
    StoredResult stored = codec.encode(value);
    assertThat(stored.value()).isSameAs(value);
    return codec.decode(stored.withoutValue(), type);
  }

  @Test
  void recordRoundTripsByItsStoredClass() {
    StoredResult stored = codec.encode(RECEIPT);

    assertThat(stored.type()).isEqualTo(Receipt.class.getName());
    assertThat(stored.encoded()).contains("\"id\":\"r-1\"").contains("2025-10-01T10:15:30Z");
    assertThat(codec.decode(stored.withoutValue(), null)).isEqualTo(RECEIPT);
  }

  @Test
  void recordRoundTripsByResultType() {
    assertThat(roundTrip(RECEIPT, ResultType.of(Receipt.class).type())).isEqualTo(RECEIPT);
  }

  @Test
  void listOfRecordsRoundTripsByGenericResultType() {
    List<Receipt> receipts =
        List.of(RECEIPT, new Receipt("r-2", BigDecimal.ONE, Instant.EPOCH, List.of()));
    ResultType<List<Receipt>> type = new ResultType<List<Receipt>>() {};

    Object decoded = roundTrip(receipts, type.type());

    assertThat(decoded).isEqualTo(receipts);
    assertThat(((List<?>) decoded).get(0)).isInstanceOf(Receipt.class);
    assertThat(type.toString()).contains("java.util.List<" + Receipt.class.getName());
  }

  @Test
  void listOfRecordsWithoutResultTypeDecodesIntoPlainValues() {
    Object decoded = roundTrip(List.of(RECEIPT), null);

    assertThat(decoded).isInstanceOf(List.class);
    assertThat(((List<?>) decoded).get(0)).isInstanceOf(Map.class);
    assertThat(((Map<?, ?>) ((List<?>) decoded).get(0)).get("id")).isEqualTo("r-1");
  }

  @Test
  void scalarsRoundTrip() {
    assertThat(roundTrip("text", null)).isEqualTo("text");
    assertThat(roundTrip(42, null)).isEqualTo(42);
    assertThat(roundTrip(42L, null)).isEqualTo(42L);
    assertThat(roundTrip(true, null)).isEqualTo(true);
    assertThat(roundTrip(new BigDecimal("1.50"), null)).isEqualTo(new BigDecimal("1.50"));
    assertThat(roundTrip(Instant.parse("2025-10-01T10:15:30.123456Z"), null))
        .isEqualTo(Instant.parse("2025-10-01T10:15:30.123456Z"));
    assertThat(roundTrip(LocalDate.of(2025, 10, 1), null)).isEqualTo(LocalDate.of(2025, 10, 1));
    assertThat(roundTrip(Optional.of("x"), null)).isEqualTo(Optional.of("x"));
  }

  @Test
  void nullRoundTrips() {
    StoredResult stored = codec.encode(null);

    assertThat(stored.type()).isEqualTo("null");
    assertThat(stored.encoded()).isEqualTo("null");
    assertThat(stored.value()).isNull();
    assertThat(codec.decode(stored, null)).isNull();
    assertThat(codec.decode(stored, String.class)).isNull();
  }

  @Test
  void mapsRoundTrip() {
    Map<String, Object> map = Map.of("a", 1, "b", List.of("x", "y"), "c", Map.of("d", true));
    assertThat(roundTrip(map, null)).isEqualTo(map);

    HashMap<String, Integer> hash = new HashMap<>(Map.of("k", 1));
    Object decoded = roundTrip(hash, null);
    assertThat(decoded).isInstanceOf(HashMap.class).isEqualTo(hash);
  }

  @Test
  void immutableJdkCollectionsDecodeIntoPlainCollections() {
    assertThat(roundTrip(List.of(1, 2, 3), null))
        .isInstanceOf(List.class)
        .isEqualTo(List.of(1, 2, 3));
    assertThat(roundTrip(List.of(), null)).isEqualTo(List.of());
    assertThat(roundTrip(List.of("one"), null)).isEqualTo(List.of("one"));
    assertThat(roundTrip(Collections.unmodifiableList(new ArrayList<>(List.of("u"))), null))
        .isEqualTo(List.of("u"));
    assertThat(roundTrip(Arrays.asList("p", "q"), null)).isEqualTo(List.of("p", "q"));
    assertThat(roundTrip(Map.of(), null)).isEqualTo(Map.of());
  }

  @Test
  void setsRoundTrip() {
    assertThat(roundTrip(Set.of("a", "b", "c"), null))
        .isInstanceOf(Set.class)
        .isEqualTo(Set.of("a", "b", "c"));
    assertThat(roundTrip(new TreeSet<>(Set.of(3, 1, 2)), null))
        .isInstanceOf(TreeSet.class)
        .isEqualTo(Set.of(1, 2, 3));
    assertThat(roundTrip(new LinkedHashSet<>(List.of("z", "y")), null))
        .isEqualTo(new LinkedHashSet<>(List.of("z", "y")));
    assertThat(roundTrip(Set.of(), null)).isEqualTo(Set.of());
  }

  @Test
  void tooLargeResultIsRefusedWithItsSizeAndTheLimit() {
    ResultCodec small = ResultCodec.jackson(JacksonResultCodec.defaultMapper(), 10);

    assertThat(small.encode("x".repeat(8)).encoded()).hasSize(10);
    assertThatThrownBy(() -> small.encode("x".repeat(20)))
        .isInstanceOf(ResultCodecException.class)
        .hasMessage(
            "a result of type java.lang.String is 22 characters encoded, above the codec's limit"
                + " of 10");
  }

  @Test
  void unserialisableResultIsRefused() {
    assertThatThrownBy(() -> codec.encode(new Exploding()))
        .isInstanceOf(ResultCodecException.class)
        .hasMessageContaining("cannot encode a result of type " + Exploding.class.getName())
        .hasMessageContaining("no value today")
        .hasCauseInstanceOf(com.fasterxml.jackson.databind.JsonMappingException.class);
    assertThatThrownBy(() -> codec.encode(new Empty()))
        .isInstanceOf(ResultCodecException.class)
        .hasMessageContaining(Empty.class.getName());
  }

  @Test
  void textThatDoesNotFitTheTypeIsRefused() {
    StoredResult stored = new StoredResult("java.lang.Integer", "\"abc\"", null);

    assertThatThrownBy(() -> codec.decode(stored, null))
        .isInstanceOf(ResultCodecException.class)
        .hasMessageContaining("cannot decode a stored result of type java.lang.Integer");
    assertThatThrownBy(() -> codec.decode(stored, ResultType.of(Receipt.class).type()))
        .isInstanceOf(ResultCodecException.class)
        .hasMessageContaining("into " + Receipt.class.getName());
  }

  @Test
  void unknownStoredClassDecodesIntoPlainValues() {
    StoredResult stored = new StoredResult("com.example.Gone", "{\"a\":[1,2]}", null);

    assertThat(codec.decode(stored, null)).isEqualTo(Map.of("a", List.of(1, 2)));
  }

  @Test
  void nonPositiveLimitIsRefused() {
    assertThatThrownBy(() -> ResultCodec.jackson(JacksonResultCodec.defaultMapper(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxEncodedChars must be positive, but was 0");
  }

  @Test
  void resultTypeNeedsATypeArgument() {
    @SuppressWarnings("rawtypes")
    class Raw extends ResultType {}

    assertThatThrownBy(Raw::new)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("type argument");
    assertThat(ResultType.of(String.class).type()).isEqualTo(String.class);
  }
}
