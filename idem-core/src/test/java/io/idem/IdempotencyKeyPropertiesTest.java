package io.idem;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.idem.internal.CanonicalJson;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class IdempotencyKeyPropertiesTest {

  private static final long MAX_EXACT = (1L << 53) - 1;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Provide
  Arbitrary<Map<String, Object>> argMaps() {
    return Arbitraries.maps(Arbitraries.strings().ofMinLength(0).ofMaxLength(8), values())
        .ofMaxSize(8);
  }

  private static Arbitrary<Object> scalars() {
    return Arbitraries.oneOf(
        Arbitraries.integers().map(i -> (Object) i),
        Arbitraries.longs().map(l -> (Object) l),
        Arbitraries.strings().ofMaxLength(10).map(s -> (Object) s),
        Arbitraries.of(true, false).map(b -> (Object) b));
  }

  private static Arbitrary<Object> values() {
    return Arbitraries.oneOf(
        scalars(),
        scalars().list().ofMaxSize(4).map(l -> (Object) l),
        Arbitraries.maps(Arbitraries.strings().ofMaxLength(4), scalars())
            .ofMaxSize(4)
            .map(m -> (Object) m));
  }

  @Property
  void digestIgnoresInsertionOrder(@ForAll("argMaps") Map<String, Object> map, @ForAll long seed) {
    List<Map.Entry<String, Object>> entries = new ArrayList<>(map.entrySet());
    Collections.shuffle(entries, new Random(seed));
    Map<String, Object> shuffled = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : entries) {
      shuffled.put(e.getKey(), e.getValue());
    }

    assertThat(IdempotencyKey.of("ns", shuffled).digest())
        .isEqualTo(IdempotencyKey.of("ns", map).digest());
    assertThat(PayloadFingerprint.of(shuffled)).isEqualTo(PayloadFingerprint.of(map));
  }

  @Property
  void integralNumbersAreTheSameWhateverTheirType(
      @ForAll @LongRange(min = -MAX_EXACT, max = MAX_EXACT) long n) {
    String expected = IdempotencyKey.of("ns", Map.of("n", n)).digest();

    assertThat(IdempotencyKey.of("ns", Map.of("n", (double) n)).digest()).isEqualTo(expected);
    assertThat(IdempotencyKey.of("ns", Map.of("n", BigDecimal.valueOf(n))).digest())
        .isEqualTo(expected);
    assertThat(IdempotencyKey.of("ns", Map.of("n", BigDecimal.valueOf(n).setScale(3))).digest())
        .isEqualTo(expected);
    assertThat(IdempotencyKey.of("ns", Map.of("n", BigInteger.valueOf(n))).digest())
        .isEqualTo(expected);
    if (n == (int) n) {
      assertThat(IdempotencyKey.of("ns", Map.of("n", (int) n)).digest()).isEqualTo(expected);
    }
  }

  @Property
  void integerLongAndDoubleAreTheSame(@ForAll int n) {
    assertThat(IdempotencyKey.of("ns", n).digest())
        .isEqualTo(IdempotencyKey.of("ns", (long) n).digest())
        .isEqualTo(IdempotencyKey.of("ns", (double) n).digest());
  }

  @Property
  void decimalsWithSixDigitsAreTheSameAsFloatDoubleAndBigDecimal(
      @ForAll @IntRange(min = -999_999, max = 999_999) int unscaled,
      @ForAll @IntRange(min = 0, max = 6) int scale) {
    String text = unscaled + "E-" + scale;
    String expected = IdempotencyKey.of("ns", new BigDecimal(text)).digest();

    assertThat(IdempotencyKey.of("ns", Double.parseDouble(text)).digest()).isEqualTo(expected);
    assertThat(IdempotencyKey.of("ns", Float.parseFloat(text)).digest()).isEqualTo(expected);
  }

  @Property
  void canonicalJsonIsAFixedPoint(@ForAll("argMaps") Map<String, Object> map, @ForAll double d)
      throws Exception {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return;
    }
    Map<String, Object> value = new LinkedHashMap<>(map);
    value.put("double", d);
    String json = CanonicalJson.toJson(value);

    assertThat(CanonicalJson.toJson(MAPPER.readTree(json))).isEqualTo(json);
  }

  @Provide
  Arbitrary<String> namespaces() {
    return Arbitraries.strings()
        .withCharRange('a', 'z')
        .withCharRange('0', '9')
        .withChars('.', '_', '-', 'é', '日', ' ')
        .ofMinLength(1)
        .ofMaxLength(IdempotencyKey.MAX_NAMESPACE_LENGTH)
        .filter(s -> !s.isBlank());
  }

  @Provide
  Arbitrary<Scope> scopes() {
    Arbitrary<String> kinds =
        Arbitraries.strings()
            .withCharRange('a', 'z')
            .withCharRange('0', '9')
            .withChars('_', '-')
            .ofMaxLength(31)
            .map(s -> "k" + s);
    Arbitrary<String> ids =
        Arbitraries.strings()
            .withCharRange('!', '~')
            .withChars('é', '日')
            .ofMinLength(1)
            .ofMaxLength(Scope.MAX_ID_LENGTH);
    return Arbitraries.oneOf(
        Arbitraries.just(Scope.global()),
        ids.map(Scope::user),
        ids.map(Scope::tenant),
        net.jqwik.api.Combinators.combine(kinds, ids).as(Scope::of));
  }

  @Property
  void keysAreNamespaceScopeDigestAndNeverTooLong(
      @ForAll("namespaces") String namespace,
      @ForAll("scopes") Scope scope,
      @ForAll("argMaps") Map<String, Object> args) {
    IdempotencyKey key = IdempotencyKey.of(namespace, scope, args);

    assertThat(key.value().length()).isLessThanOrEqualTo(IdempotencyKey.MAX_LENGTH);
    assertThat(key.value()).isEqualTo(namespace + ":" + scope + ":" + key.digest());
    assertThat(key.digest()).matches("[0-9a-f]{64}");
    assertThat(key.namespace()).isEqualTo(namespace);
    assertThat(key.scope()).isEqualTo(scope);
  }

  @Property
  void cleanReadableKeysRoundTrip(@ForAll("namespaces") String namespace, @ForAll int part) {
    String text = namespace + ":" + part + ":🎉";
    IdempotencyKey key = IdempotencyKey.readable(text);

    assertThat(key.value()).isEqualTo(text);
    assertThat(key.namespace()).isEqualTo(namespace);
    assertThat(key).isEqualTo(IdempotencyKey.readable(namespace, part, "🎉"));
  }
}
