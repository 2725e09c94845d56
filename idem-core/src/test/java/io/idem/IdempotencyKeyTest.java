package io.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class IdempotencyKeyTest {

  record Order(String sku, int quantity, List<String> tags) {}

  record Line(String sku, BigDecimal price) {}

  record Basket(Map<String, Object> meta, List<Line> lines, Color color, Instant at) {}

  enum Color {
    RED,
    GREEN
  }

  private static String key(Object args) {
    return IdempotencyKey.of("ns", args).value();
  }

  private static LinkedHashMap<String, Object> ordered(Object... kv) {
    LinkedHashMap<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Nested
  class SameKeyForLogicallyEqualArguments {

    @Test
    void mapFieldOrderDoesNotMatter() {
      Map<String, Object> ab = ordered("a", 1, "b", "two", "c", true);
      Map<String, Object> cba = ordered("c", true, "b", "two", "a", 1);
      Map<String, Object> tree = new TreeMap<>(ab);
      Map<String, Object> hash = new HashMap<>(cba);

      assertThat(key(ab))
          .isEqualTo(key(cba))
          .isEqualTo(key(tree))
          .isEqualTo(key(hash))
          .isEqualTo(key(Map.of("b", "two", "c", true, "a", 1)));
    }

    @Test
    void oneIsOneWhateverItsNumberType() {
      String one = key(Map.of("n", 1));

      for (Object n :
          List.of(
              1L,
              1.0,
              1.0f,
              new BigDecimal("1.00"),
              new BigDecimal("1"),
              new BigDecimal("0.1E1"),
              BigInteger.ONE,
              (short) 1,
              (byte) 1,
              new AtomicInteger(1),
              new AtomicLong(1))) {
        assertThat(key(Map.of("n", n))).as("%s (%s)", n, n.getClass()).isEqualTo(one);
      }
    }

    @Test
    void floatAndDoubleDecimalsAreTheSame() {
      assertThat(key(0.1f)).isEqualTo(key(0.1)).isEqualTo(key(new BigDecimal("0.100")));
      assertThat(key(2.5f)).isEqualTo(key(2.5));
      assertThat(key(-1.25f)).isEqualTo(key(new BigDecimal("-1.2500")));
      assertThat(key(1e20)).isEqualTo(key(new BigDecimal("1E+20"))).isEqualTo(key(1e20f));
      assertThat(key(1000L)).isEqualTo(key(new BigDecimal("1E+3"))).isEqualTo(key(1000.0));
    }

    @Test
    void negativeZeroIsZero() {
      String zero = key(0);
      assertThat(key(-0.0)).isEqualTo(zero);
      assertThat(key(-0.0f)).isEqualTo(zero);
      assertThat(key(0.0)).isEqualTo(zero);
      assertThat(key(new BigDecimal("-0.00"))).isEqualTo(zero);
      assertThat(key(BigInteger.ZERO)).isEqualTo(zero);
    }

    @Test
    void recordAndMapWithTheSameFieldsAreTheSame() {
      Order record = new Order("A-1", 2, List.of("gift", "express"));
      Map<String, Object> map =
          ordered("tags", List.of("gift", "express"), "sku", "A-1", "quantity", 2L);

      assertThat(key(record)).isEqualTo(key(map));
      assertThat(IdempotencyKey.of("ns", record).digest())
          .isEqualTo(IdempotencyKey.of("ns", map).digest());
    }

    @Test
    void nestedMapsListsRecordsEnumsAndInstantsAreCanonical() {
      Instant at = Instant.parse("2025-10-01T10:15:30Z");
      Basket basket =
          new Basket(
              ordered("source", "web", "version", 3),
              List.of(new Line("A", new BigDecimal("9.90")), new Line("B", BigDecimal.TEN)),
              Color.GREEN,
              at);
      Map<String, Object> equivalent =
          ordered(
              "lines",
              List.of(ordered("price", 9.9, "sku", "A"), ordered("sku", "B", "price", 10)),
              "color",
              "GREEN",
              "meta",
              new TreeMap<>(Map.of("version", 3.0, "source", "web")),
              "at",
              OffsetDateTime.ofInstant(at, ZoneOffset.ofHoursMinutes(5, 30)));

      assertThat(key(basket)).isEqualTo(key(equivalent));
    }

    @Test
    void instantsAreTheSameWhateverTheirOffsetOrType() {
      Instant at = Instant.parse("2025-10-01T10:15:30.123Z");
      String expected = key(Map.of("at", at));

      assertThat(key(Map.of("at", OffsetDateTime.ofInstant(at, ZoneOffset.ofHours(-7)))))
          .isEqualTo(expected);
      assertThat(key(Map.of("at", OffsetDateTime.ofInstant(at, ZoneOffset.UTC))))
          .isEqualTo(expected);
      assertThat(key(Map.of("at", ZonedDateTime.ofInstant(at, ZoneId.of("Asia/Tokyo")))))
          .isEqualTo(expected);
      assertThat(key(Map.of("at", Date.from(at)))).isEqualTo(expected);
    }

    @Test
    void setsInAnyOrderAreTheSame() {
      Set<Object> forward = new LinkedHashSet<>(List.of("a", "b", "c", 1, 2.5));
      Set<Object> backward = new LinkedHashSet<>(List.of(2.5, 1, "c", "b", "a"));
      Set<Object> hash = new HashSet<>(forward);

      assertThat(key(forward)).isEqualTo(key(backward)).isEqualTo(key(hash));
      assertThat(key(new TreeSet<>(List.of("x", "y")))).isEqualTo(key(Set.of("y", "x")));
      assertThat(key(Set.of(Map.of("a", 1), Map.of("b", 2))))
          .isEqualTo(key(new LinkedHashSet<>(List.of(ordered("b", 2L), ordered("a", 1.0)))));
    }

    @Test
    void emptyOptionalIsNullAndPresentOptionalIsItsValue() {
      assertThat(key(Optional.empty())).isEqualTo(key(null));
      Map<String, Object> withNull = new HashMap<>();
      withNull.put("x", null);
      assertThat(key(Map.of("x", Optional.empty()))).isEqualTo(key(withNull));
      assertThat(key(Map.of("x", Optional.of(5)))).isEqualTo(key(Map.of("x", 5L)));
    }

    @Test
    void enumIsItsName() {
      assertThat(key(Color.RED)).isEqualTo(key("RED"));
      assertThat(key(Map.of(Color.RED, 1))).isEqualTo(key(Map.of("RED", 1)));
    }

    @Test
    void arraysAreLists() {
      assertThat(key(new Object[] {"a", 1})).isEqualTo(key(List.of("a", 1L)));
      assertThat(key(new int[] {1, 2, 3})).isEqualTo(key(List.of(1, 2, 3)));
    }

    @Test
    void logicallyEqualArgumentsGiveEqualKeys() {
      IdempotencyKey a = IdempotencyKey.of("ns", Scope.user(1), ordered("a", 1, "b", 2));
      IdempotencyKey b = IdempotencyKey.of("ns", Scope.user(1), ordered("b", 2.0, "a", 1L));

      assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    }
  }

  @Nested
  class DifferentKeys {

    @Test
    void differentValues() {
      assertThat(key(Map.of("a", 1))).isNotEqualTo(key(Map.of("a", 2)));
      assertThat(key(Map.of("a", 1))).isNotEqualTo(key(Map.of("b", 1)));
      assertThat(key(0.1)).isNotEqualTo(key(0.10000001));
      assertThat(key(true)).isNotEqualTo(key("true"));
      assertThat(key(Map.of())).isNotEqualTo(key(List.of()));
    }

    @Test
    void stringOneIsNotNumberOne() {
      assertThat(key("1")).isNotEqualTo(key(1));
      assertThat(key(Map.of("id", "1"))).isNotEqualTo(key(Map.of("id", 1)));
    }

    @Test
    void differentScopes() {
      Map<String, Object> args = Map.of("template", "welcome");
      Set<String> values =
          Set.of(
              IdempotencyKey.of("ns", Scope.global(), args).value(),
              IdempotencyKey.of("ns", Scope.user(42), args).value(),
              IdempotencyKey.of("ns", Scope.user(43), args).value(),
              IdempotencyKey.of("ns", Scope.tenant(42), args).value(),
              IdempotencyKey.of("ns", Scope.session(42), args).value(),
              IdempotencyKey.of("ns", Scope.of("team", 42), args).value());

      assertThat(values).hasSize(6);
      assertThat(IdempotencyKey.of("ns", Scope.user(42), args))
          .isNotEqualTo(IdempotencyKey.of("ns", Scope.tenant(42), args));
    }

    @Test
    void differentNamespaces() {
      assertThat(IdempotencyKey.of("email.welcome", "x"))
          .isNotEqualTo(IdempotencyKey.of("email.goodbye", "x"));
    }

    @Test
    void listOrderMatters() {
      assertThat(key(List.of(1, 2))).isNotEqualTo(key(List.of(2, 1)));
      assertThat(key(Map.of("l", List.of("a", "b"))))
          .isNotEqualTo(key(Map.of("l", List.of("b", "a"))));
    }

    @Test
    void sameDigestInDifferentScopesButDifferentValues() {
      IdempotencyKey global = IdempotencyKey.of("ns", 7);
      IdempotencyKey user = IdempotencyKey.of("ns", Scope.user(1), 7);

      assertThat(global.digest()).isEqualTo(user.digest());
      assertThat(global).isNotEqualTo(user);
    }
  }

  @Nested
  class RefusedArguments {

    @Test
    void nanIsRefusedNamingTheValue() {
      assertThatThrownBy(() -> IdempotencyKey.of("ns", Map.of("x", Double.NaN)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("NaN");
      assertThatThrownBy(() -> IdempotencyKey.of("ns", Float.NaN))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("NaN");
    }

    @Test
    void infinityIsRefusedNamingTheValue() {
      assertThatThrownBy(() -> IdempotencyKey.of("ns", List.of(1, Double.POSITIVE_INFINITY)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("Infinity");
      assertThatThrownBy(() -> IdempotencyKey.of("ns", Float.NEGATIVE_INFINITY))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("-Infinity");
    }

    @Test
    void selfReferencingListIsRefusedAsACycle() {
      List<Object> cyclic = new ArrayList<>();
      cyclic.add("a");
      cyclic.add(cyclic);

      assertThatThrownBy(() -> IdempotencyKey.of("ns", cyclic))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cycle")
          .hasMessageContaining("nest deeper than 64");
    }

    @Test
    void selfReferencingMapIsRefusedAsACycle() {
      Map<String, Object> cyclic = new HashMap<>();
      cyclic.put("self", cyclic);

      assertThatThrownBy(() -> PayloadFingerprint.of(cyclic))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cycle");
    }

    @Test
    void mapKeysThatCollideInTheCanonicalFormAreRefused() {
      Map<Object, Object> map = new HashMap<>();
      map.put(1, "number");
      map.put("1", "string");

      assertThatThrownBy(() -> IdempotencyKey.of("ns", map))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"1\"");
    }
  }

  @Nested
  class BadKeys {

    @Test
    void blankReadableKeyIsRefused() {
      assertThatThrownBy(() -> IdempotencyKey.readable(""))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key must not be blank, but was \"\"");
      assertThatThrownBy(() -> IdempotencyKey.readable("   "))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key must not be blank, but was \"   \"");
    }

    @Test
    void readableKeyLongerThan512IsRefusedNamingTheLimitAndTheLength() {
      assertThat(IdempotencyKey.readable("k".repeat(512)).value()).hasSize(512);

      assertThatThrownBy(() -> IdempotencyKey.readable("k".repeat(513)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("512")
          .hasMessageContaining("513")
          .hasMessageContaining("k".repeat(80) + "...");
    }

    @Test
    void controlCharactersAreRefusedNamingThePosition() {
      assertThatThrownBy(() -> IdempotencyKey.readable("a\u0000b"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("control characters")
          .hasMessageContaining("a\\u0000b")
          .hasMessageContaining("U+0000 at index 1");
      assertThatThrownBy(() -> IdempotencyKey.readable("a\nb"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("a\\u000ab")
          .hasMessageContaining("U+000A at index 1");
      assertThatThrownBy(() -> IdempotencyKey.readable("tab\there"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("U+0009 at index 3");
      assertThatThrownBy(() -> IdempotencyKey.readable("del\u007f"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("U+007F");
    }

    @Test
    void unpairedSurrogatesAreRefused() {
      assertThatThrownBy(() -> IdempotencyKey.readable("a\uD83Db"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("unpaired surrogate at index 1")
          .hasMessageContaining("a\\ud83db");
      assertThatThrownBy(() -> IdempotencyKey.readable("x\uDE00"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("unpaired surrogate at index 1");
      assertThatThrownBy(() -> IdempotencyKey.readable("end\uD83D"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("unpaired surrogate at index 3");
    }

    @Test
    void namespaceWithAColonIsRefused() {
      assertThatThrownBy(() -> IdempotencyKey.of("email:welcome", 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("namespace must not contain ':', but was \"email:welcome\"");
      assertThatThrownBy(() -> IdempotencyKey.readable("a:b", 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"a:b\"");
    }

    @Test
    void badNamespacesAreRefused() {
      assertThatThrownBy(() -> IdempotencyKey.of(" ", 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("namespace must not be blank");
      assertThatThrownBy(() -> IdempotencyKey.of("n".repeat(101), 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("namespace must be at most 100 characters, but was 101");
      assertThatThrownBy(() -> IdempotencyKey.of("a\rb", 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("U+000D");
      assertThat(IdempotencyKey.of("n".repeat(100), 1).namespace()).hasSize(100);
    }

    @Test
    void badScopeKindsAreRefusedNamingTheKind() {
      for (String kind : List.of("User", "1user", "", "us er", "user:x", "k".repeat(33))) {
        assertThatThrownBy(() -> Scope.of(kind, 1))
            .as(kind)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("scope kind")
            .hasMessageContaining("but was \"" + kind + "\"");
      }
      assertThatThrownBy(() -> Scope.of("global", 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("Scope.global()");
      assertThat(Scope.of("k" + "0".repeat(31), 1).kind()).hasSize(32);
      assertThat(Scope.of("team_a-1", 1)).hasToString("team_a-1=1");
    }

    @Test
    void badScopeIdsAreRefused() {
      assertThatThrownBy(() -> Scope.user("a\nb"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("user id must not contain control characters");
      assertThatThrownBy(() -> Scope.tenant(""))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tenant id must not be blank");
      assertThatThrownBy(() -> Scope.user("u".repeat(201)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("at most 200 characters, but was 201");
    }

    @Test
    void badCategoryIsRefused() {
      IdempotencyKey key = IdempotencyKey.readable("a");
      assertThatThrownBy(() -> key.inCategory(" "))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("category must not be blank");
    }
  }

  @Nested
  class ReadableKeys {

    @Test
    void unicodeReadableKeysAreAcceptedAndRoundTrip() {
      IdempotencyKey key = IdempotencyKey.readable("écho:日本:🎉");

      assertThat(key.value()).isEqualTo("écho:日本:🎉");
      assertThat(key.toString()).isEqualTo("écho:日本:🎉");
      assertThat(key.namespace()).isEqualTo("écho");
      assertThat(key.scope()).isEqualTo(Scope.global());
      assertThat(key.digest()).isNull();
      assertThat(key.category()).isNull();
      assertThat(key).isEqualTo(IdempotencyKey.readable("écho", "日本", "🎉"));
    }

    @Test
    void unicodeNamespacesAndScopeIdsAreAccepted() {
      IdempotencyKey key = IdempotencyKey.of("écho", Scope.user("jürgen-🎉"), Map.of("k", "日本"));

      assertThat(key.value()).matches("écho:user=jürgen-🎉:[0-9a-f]{64}");
    }

    @Test
    void readableFromParts() {
      IdempotencyKey key = IdempotencyKey.readable("autoclose", 123, LocalDate.of(2025, 10, 1));

      assertThat(key.value()).isEqualTo("autoclose:123:2025-10-01");
      assertThat(key.namespace()).isEqualTo("autoclose");
      assertThat(key.scope().isGlobal()).isTrue();
      assertThat(key.digest()).isNull();
    }

    @Test
    void readableWithoutColonIsItsOwnNamespace() {
      assertThat(IdempotencyKey.readable("nightly").namespace()).isEqualTo("nightly");
      assertThat(IdempotencyKey.readable(":x").namespace()).isEqualTo(":x");
      assertThat(IdempotencyKey.readable("a:b:c").namespace()).isEqualTo("a");
    }

    @Test
    void categoryIsNotPartOfTheIdentity() {
      IdempotencyKey plain = IdempotencyKey.readable("a:1");
      IdempotencyKey categorised = plain.inCategory(TtlCategories.REPORT);

      assertThat(categorised.category()).isEqualTo("report");
      assertThat(categorised).isEqualTo(plain).hasSameHashCodeAs(plain);
      assertThat(categorised.value()).isEqualTo(plain.value());
    }
  }

  @Nested
  class StandardKeysTest {

    @Test
    void autocloseIsTheReadableKeyInTheMaintenanceCategory() {
      IdempotencyKey key = StandardKeys.autoclose(123, LocalDate.of(2025, 10, 1));

      assertThat(key.value()).isEqualTo("autoclose:123:2025-10-01");
      assertThat(key)
          .isEqualTo(IdempotencyKey.readable("autoclose", 123, LocalDate.of(2025, 10, 1)));
      assertThat(key.category()).isEqualTo("maintenance");
    }

    @Test
    void reportIsPerUserInTheReportCategory() {
      IdempotencyKey key =
          StandardKeys.report("sales", ordered("from", "2025-01", "to", "2025-02"), 7, "pdf");

      assertThat(key.category()).isEqualTo("report");
      assertThat(key.namespace()).isEqualTo("report");
      assertThat(key.scope()).isEqualTo(Scope.user(7));
      assertThat(key.value()).matches("report:user=7:[0-9a-f]{64}");
      assertThat(key)
          .isEqualTo(
              StandardKeys.report(
                  "sales", ordered("to", "2025-02", "from", "2025-01"), "7", "pdf"));
      assertThat(key).isNotEqualTo(StandardKeys.report("sales", Map.of(), 7, "csv"));
    }

    @Test
    void emailIsPerUserAndTemplateInTheEmailCategory() {
      IdempotencyKey key = StandardKeys.email(42, "welcome");

      assertThat(key.category()).isEqualTo("email");
      assertThat(key.namespace()).isEqualTo("email");
      assertThat(key.value()).startsWith("email:user=42:");
      assertThat(key).isEqualTo(StandardKeys.email("42", "welcome"));
      assertThat(key).isNotEqualTo(StandardKeys.email(42, "goodbye"));
      assertThat(key).isNotEqualTo(StandardKeys.email(43, "welcome"));
    }

    @Test
    void dailyEmailIsPerDay() {
      IdempotencyKey monday = StandardKeys.dailyEmail(42, "digest", LocalDate.of(2025, 10, 6));
      IdempotencyKey tuesday = StandardKeys.dailyEmail(42, "digest", LocalDate.of(2025, 10, 7));

      assertThat(monday.category()).isEqualTo("email");
      assertThat(monday).isNotEqualTo(tuesday);
      assertThat(monday)
          .isEqualTo(StandardKeys.dailyEmail(42, "digest", LocalDate.of(2025, 10, 6)));
    }

    @Test
    void mutationIsInTheMutationCategoryAndNamespacedByOperation() {
      IdempotencyKey key = StandardKeys.mutation("order", 5, "charge", Map.of("amount", 10));

      assertThat(key.category()).isEqualTo("mutation");
      assertThat(key.namespace()).isEqualTo("charge");
      assertThat(key.scope().isGlobal()).isTrue();
      assertThat(key)
          .isEqualTo(StandardKeys.mutation("order", "5", "charge", Map.of("amount", 10.0)));
    }
  }

  @Nested
  class Format {

    @Test
    void valueIsNamespaceScopeAndHexDigest() {
      IdempotencyKey key = IdempotencyKey.of("ns", Scope.user(42), Map.of("a", 1));

      assertThat(key.value()).matches("ns:user=42:[0-9a-f]{64}");
      assertThat(key.value()).isEqualTo("ns:user=42:" + key.digest());
      assertThat(key.namespace()).isEqualTo("ns");
      assertThat(key.scope()).isEqualTo(Scope.user(42));
      assertThat(key.category()).isNull();
    }

    @Test
    void globalKeysSayGlobal() {
      assertThat(IdempotencyKey.of("ns", "x").value()).matches("ns:global:[0-9a-f]{64}");
      assertThat(Scope.global()).hasToString("global");
      assertThat(Scope.global().id()).isNull();
      assertThat(Scope.tenant("acme")).hasToString("tenant=acme");
      assertThat(Scope.tenant("acme").kind()).isEqualTo("tenant");
      assertThat(Scope.tenant("acme").id()).isEqualTo("acme");
    }

    @Test
    void digestIsTheFingerprintOfTheArguments() {
      Map<String, Object> args = ordered("b", 2, "a", 1);

      assertThat(IdempotencyKey.of("ns", args).digest()).isEqualTo(PayloadFingerprint.of(args));
    }

    @Test
    void keyWithMaximalPartsStaysWithinTheLimit() {
      IdempotencyKey key =
          IdempotencyKey.of("n".repeat(100), Scope.of("k".repeat(32), "i".repeat(200)), "x");

      assertThat(key.value().length()).isLessThanOrEqualTo(IdempotencyKey.MAX_LENGTH);
    }
  }
}
