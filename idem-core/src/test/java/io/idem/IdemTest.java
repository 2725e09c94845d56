package io.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.idem.internal.JacksonResultCodec;
import io.idem.memory.InMemoryIdempotencyStore;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.RecordState;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class IdemTest {

  private static final Instant T0 = Instant.parse("2025-10-01T08:00:00Z");

  record Receipt(String id, BigDecimal amount, List<String> items) {}

  private final SettableClock clock = new SettableClock(T0);
  private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create(clock);
  private final AtomicInteger runs = new AtomicInteger();

  private Idem.Builder idem() {
    return Idem.builder(store).clock(clock).noBackgroundPurge();
  }

  private static IdempotencyKey key(String name) {
    return IdempotencyKey.of("test.ns", Scope.user(42), Map.of("name", name));
  }

  private Callable<String> counting(String value) {
    return () -> {
      runs.incrementAndGet();
      return value;
    };
  }

  private Callable<String> failing(RuntimeException error) {
    return () -> {
      runs.incrementAndGet();
      throw error;
    };
  }

  private IdempotencyRecord record(Idem idem, IdempotencyKey key) {
    return idem.inspect(key).orElseThrow();
  }

  @Nested
  class ExecuteThenReplay {

    @Test
    void firstCallExecutesAndSecondReplaysTheSameValue() {
      try (Idem idem = idem().build()) {
        IdempotencyKey key = key("a");

        Outcome<String> first = idem.once(key, "payload", counting("result"));
        Outcome<String> second = idem.once(key, "payload", counting("other"));

        assertThat(first.wasExecuted()).isTrue();
        assertThat(first.wasReplayed()).isFalse();
        assertThat(first.kind()).isEqualTo(Outcome.Kind.EXECUTED);
        assertThat(first.value()).isEqualTo("result");
        assertThat(first.attempt()).isEqualTo(1);
        assertThat(first.token()).isPositive();
        assertThat(first.key()).isEqualTo(key);

        assertThat(second.wasReplayed()).isTrue();
        assertThat(second.kind()).isEqualTo(Outcome.Kind.REPLAYED);
        assertThat(second.value()).isEqualTo("result");
        assertThat(second.attempt()).isEqualTo(1);
        assertThat(second.token()).isEqualTo(first.token());
        assertThat(runs).hasValue(1);
        assertThat(second.toString()).contains("REPLAYED").contains(key.value());
      }
    }

    @Test
    void logicallyEqualPayloadsReplay() {
      try (Idem idem = idem().build()) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("amount", 10);
        payload.put("currency", "EUR");

        idem.once(key("a"), payload, counting("x"));
        Outcome<String> again =
            idem.once(key("a"), Map.of("currency", "EUR", "amount", 10.0), counting("y"));

        assertThat(again.wasReplayed()).isTrue();
        assertThat(runs).hasValue(1);
      }
    }

    @Test
    void differentKeysRunSeparately() {
      try (Idem idem = idem().build()) {
        assertThat(idem.once(key("a"), null, counting("a")).value()).isEqualTo("a");
        assertThat(idem.once(key("b"), null, counting("b")).value()).isEqualTo("b");
        assertThat(runs).hasValue(2);
      }
    }

    @Test
    void nullResultIsRecordedAndReplayed() {
      try (Idem idem = idem().build()) {
        Outcome<String> first = idem.once(key("a"), null, counting(null));
        Outcome<String> second = idem.once(key("a"), null, counting("not null"));

        assertThat(first.value()).isNull();
        assertThat(second.wasReplayed()).isTrue();
        assertThat(second.value()).isNull();
        assertThat(runs).hasValue(1);
      }
    }

    @Test
    void recordHoldsTheResultFingerprintAndAttempt() {
      try (Idem idem = idem().build()) {
        idem.once(key("a"), "p", counting("v"));

        IdempotencyRecord r = record(idem, key("a"));
        assertThat(r.state()).isEqualTo(RecordState.COMPLETED);
        assertThat(r.fingerprint()).isEqualTo(PayloadFingerprint.of("p"));
        assertThat(r.attempt()).isEqualTo(1);
        assertThat(r.result().value()).isEqualTo("v");
        assertThat(r.result().encoded()).isEqualTo("\"v\"");
        assertThat(r.createdAt()).isEqualTo(T0);
      }
    }
  }

  @Nested
  class PayloadMismatch {

    @Test
    void otherPayloadIsRefusedWithBothFingerprintsAndTheBodyDoesNotRun() {
      try (Idem idem = idem().build()) {
        IdempotencyKey key = key("a");
        idem.once(key, Map.of("amount", 10), counting("x"));

        PayloadMismatchException e =
            catchThrowableOfType(
                PayloadMismatchException.class,
                () -> idem.once(key, Map.of("amount", 11), counting("y")));

        assertThat(e.key()).isEqualTo(key.value());
        assertThat(e.storedFingerprint()).isEqualTo(PayloadFingerprint.of(Map.of("amount", 10)));
        assertThat(e.givenFingerprint()).isEqualTo(PayloadFingerprint.of(Map.of("amount", 11)));
        assertThat(e.getMessage())
            .contains(key.value())
            .contains(e.storedFingerprint())
            .contains(e.givenFingerprint());
        assertThat(runs).hasValue(1);
        assertThat(record(idem, key).fingerprint()).isEqualTo(e.storedFingerprint());
      }
    }

    @Test
    void noPayloadAfterAPayloadIsAMismatch() {
      try (Idem idem = idem().build()) {
        idem.once(key("a"), "p", counting("x"));

        assertThatThrownBy(() -> idem.once(key("a"), null, counting("y")))
            .isInstanceOf(PayloadMismatchException.class);
      }
    }
  }

  @Nested
  class Failures {

    @Test
    void releasedFailureIsRethrownAsIsAndTheNextCallRunsAgain() {
      try (Idem idem = idem().build()) {
        IllegalStateException boom = new IllegalStateException("boom");

        assertThatThrownBy(() -> idem.once(key("a"), null, failing(boom))).isSameAs(boom);

        IdempotencyRecord failed = record(idem, key("a"));
        assertThat(failed.state()).isEqualTo(RecordState.FAILED);
        assertThat(failed.error().type()).isEqualTo(IllegalStateException.class.getName());
        assertThat(failed.error().message()).isEqualTo("boom");

        Outcome<String> retry = idem.once(key("a"), null, counting("ok"));
        assertThat(retry.wasExecuted()).isTrue();
        assertThat(retry.attempt()).isEqualTo(2);
        assertThat(retry.value()).isEqualTo("ok");
        assertThat(runs).hasValue(2);
      }
    }

    @Test
    void cachedFailureIsAnsweredUntilItExpires() {
      IdemPolicy cache =
          IdemPolicy.builder().onFailure(FailurePolicy.cacheFor(Duration.ofHours(1))).build();
      try (Idem idem = idem().defaultPolicy(cache).build()) {
        IllegalStateException boom = new IllegalStateException("boom");
        assertThatThrownBy(() -> idem.once(key("a"), null, failing(boom))).isSameAs(boom);

        CachedFailureException cached =
            catchThrowableOfType(
                CachedFailureException.class, () -> idem.once(key("a"), null, counting("x")));

        assertThat(cached.key()).isEqualTo(key("a").value());
        assertThat(cached.errorType()).isEqualTo(IllegalStateException.class.getName());
        assertThat(cached.errorMessage()).isEqualTo("boom");
        assertThat(cached.retryAfter()).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(cached.getMessage())
            .contains("java.lang.IllegalStateException: boom")
            .contains(key("a").value());
        assertThat(runs).hasValue(1);

        clock.advance(Duration.ofMinutes(59));
        assertThatThrownBy(() -> idem.once(key("a"), null, counting("x")))
            .isInstanceOf(CachedFailureException.class);

        clock.advance(Duration.ofMinutes(1).plusSeconds(1));
        Outcome<String> after = idem.once(key("a"), null, counting("x"));
        assertThat(after.wasExecuted()).isTrue();
        assertThat(after.value()).isEqualTo("x");
        assertThat(runs).hasValue(2);
      }
    }

    @Test
    void cachedFailureShorterThanTheTtlIsRetriedAsTheNextAttempt() {
      IdemPolicy policy =
          IdemPolicy.builder()
              .ttl(Duration.ofHours(24))
              .onFailure(FailurePolicy.cacheFor(Duration.ofMinutes(5)))
              .build();
      try (Idem idem = idem().build()) {
        assertThatThrownBy(
                () -> idem.once(key("a"), null, policy, failing(new IllegalStateException())))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> idem.once(key("a"), null, policy, counting("x")))
            .isInstanceOf(CachedFailureException.class);

        clock.advance(Duration.ofMinutes(5));
        Outcome<String> retry = idem.once(key("a"), null, policy, counting("x"));

        assertThat(retry.wasExecuted()).isTrue();
        assertThat(retry.attempt()).isEqualTo(2);
      }
    }

    @Test
    void failurePolicyByExceptionChoosesPerFailure() {
      IdemPolicy policy =
          IdemPolicy.builder()
              .onFailure(
                  FailurePolicy.byException()
                      .on(
                          IllegalArgumentException.class,
                          FailurePolicy.cacheFor(Duration.ofHours(1)))
                      .otherwise(FailurePolicy.release()))
              .build();
      try (Idem idem = idem().defaultPolicy(policy).build()) {
        assertThatThrownBy(() -> idem.once(key("a"), null, failing(new IllegalStateException())))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> idem.once(key("a"), null, failing(new IllegalArgumentException())))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> idem.once(key("a"), null, counting("x")))
            .isInstanceOf(CachedFailureException.class)
            .hasMessageContaining(IllegalArgumentException.class.getName());
        assertThat(runs).hasValue(2);
      }
    }

    @Test
    void checkedExceptionIsWrapped() {
      try (Idem idem = idem().build()) {
        IOException io = new IOException("disk full");

        IdemExecutionException e =
            catchThrowableOfType(
                IdemExecutionException.class,
                () ->
                    idem.once(
                        key("a"),
                        null,
                        () -> {
                          throw io;
                        }));

        assertThat(e).hasCause(io);
        assertThat(e.getCause()).isSameAs(io);
        assertThat(e.getMessage()).contains(key("a").value()).contains("disk full");
        assertThat(record(idem, key("a")).error().type()).isEqualTo(IOException.class.getName());
      }
    }

    @Test
    void errorIsRethrownAsIs() {
      try (Idem idem = idem().build()) {
        AssertionError error = new AssertionError("bad");

        assertThatThrownBy(
                () ->
                    idem.once(
                        key("a"),
                        null,
                        () -> {
                          throw error;
                        }))
            .isSameAs(error);
        assertThat(idem.once(key("a"), null, counting("x")).attempt()).isEqualTo(2);
      }
    }

    @Test
    void maxAttemptsExhausted() {
      IdemPolicy policy = IdemPolicy.builder().maxAttempts(2).build();
      try (Idem idem = idem().defaultPolicy(policy).build()) {
        IllegalStateException boom = new IllegalStateException("boom");
        assertThatThrownBy(() -> idem.once(key("a"), null, failing(boom))).isSameAs(boom);
        assertThatThrownBy(() -> idem.once(key("a"), null, failing(boom))).isSameAs(boom);

        AttemptsExhaustedException e =
            catchThrowableOfType(
                AttemptsExhaustedException.class, () -> idem.once(key("a"), null, counting("x")));

        assertThat(e.key()).isEqualTo(key("a").value());
        assertThat(e.attempts()).isEqualTo(2);
        assertThat(e.getMessage())
            .contains("maxAttempts 2")
            .contains("last error: java.lang.IllegalStateException: boom");
        assertThat(runs).hasValue(2);
      }
    }

    @Test
    void attemptsAreForgottenWhenTheFailedRecordExpires() {
      IdemPolicy policy = IdemPolicy.builder().maxAttempts(1).build();
      try (Idem idem = idem().defaultPolicy(policy).build()) {
        assertThatThrownBy(() -> idem.once(key("a"), null, failing(new IllegalStateException())))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> idem.once(key("a"), null, counting("x")))
            .isInstanceOf(AttemptsExhaustedException.class);

        clock.advance(Duration.ofHours(1));

        assertThat(idem.once(key("a"), null, counting("x")).wasExecuted()).isTrue();
      }
    }
  }

  @Nested
  class Ttl {

    @Test
    void resultExpiresAfterTheTtlAndTheBodyRunsAgain() {
      try (Idem idem = idem().build()) {
        idem.once(key("a"), null, counting("first"));

        clock.advance(Duration.ofMinutes(59));
        assertThat(idem.once(key("a"), null, counting("second")).value()).isEqualTo("first");

        clock.advance(Duration.ofMinutes(1));
        Outcome<String> afterExpiry = idem.once(key("a"), null, counting("second"));

        assertThat(afterExpiry.wasExecuted()).isTrue();
        assertThat(afterExpiry.value()).isEqualTo("second");
        assertThat(afterExpiry.attempt()).isEqualTo(1);
        assertThat(runs).hasValue(2);
      }
    }

    @Test
    void expiredResultMayBeRecomputedWithAnotherPayload() {
      try (Idem idem = idem().build()) {
        idem.once(key("a"), "p1", counting("first"));
        clock.advance(Duration.ofHours(1));

        assertThat(idem.once(key("a"), "p2", counting("second")).wasExecuted()).isTrue();
      }
    }

    @Test
    void keyCategorySetsTheTtl() {
      try (Idem idem = idem().build()) {
        IdempotencyKey email = StandardKeys.email(42, "welcome");
        IdempotencyKey report = StandardKeys.report("sales", Map.of(), 42, "pdf");
        IdempotencyKey autoclose = StandardKeys.autoclose(7, LocalDate.of(2025, 10, 1));
        IdempotencyKey mutation = StandardKeys.mutation("order", 1, "charge", null);
        IdempotencyKey plain = key("plain");

        for (IdempotencyKey k : List.of(email, report, autoclose, mutation, plain)) {
          idem.once(k, null, counting("x"));
        }

        assertThat(record(idem, email).expiresAt()).isEqualTo(T0.plus(Duration.ofHours(2)));
        assertThat(record(idem, report).expiresAt()).isEqualTo(T0.plus(Duration.ofHours(24)));
        assertThat(record(idem, autoclose).expiresAt()).isEqualTo(T0.plus(Duration.ofHours(12)));
        assertThat(record(idem, mutation).expiresAt()).isEqualTo(T0.plus(Duration.ofHours(6)));
        assertThat(record(idem, plain).expiresAt()).isEqualTo(T0.plus(Duration.ofHours(1)));
      }
    }

    @Test
    void namespaceThatNamesACategorySetsTheTtl() {
      try (Idem idem = idem().build()) {
        IdempotencyKey k = IdempotencyKey.of("critical", Scope.global(), "x");

        idem.once(k, null, counting("x"));

        assertThat(record(idem, k).expiresAt()).isEqualTo(T0.plus(Duration.ofHours(4)));
      }
    }

    @Test
    void emailResultIsReplayedForTwoHours() {
      try (Idem idem = idem().build()) {
        IdempotencyKey email = StandardKeys.email(42, "welcome");
        idem.once(email, null, counting("sent"));

        clock.advance(Duration.ofMinutes(119));
        assertThat(idem.once(email, null, counting("again")).wasReplayed()).isTrue();
        clock.advance(Duration.ofMinutes(1));
        assertThat(idem.once(email, null, counting("again")).wasExecuted()).isTrue();
      }
    }

    @Test
    void perCallTtlOverridesTheCategory() {
      try (Idem idem = idem().build()) {
        IdempotencyKey email = StandardKeys.email(42, "welcome");
        IdemPolicy fiveMinutes =
            IdemPolicy.builder().ttl(Duration.ofMinutes(5)).category("report").build();

        idem.once(email, null, fiveMinutes, counting("x"));

        assertThat(record(idem, email).expiresAt()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
      }
    }

    @Test
    void policyCategoryOverridesTheKeyCategory() {
      try (Idem idem = idem().build()) {
        IdempotencyKey email = StandardKeys.email(42, "welcome");

        idem.once(email, null, IdemPolicy.builder().category("report").build(), counting("x"));

        assertThat(record(idem, email).expiresAt()).isEqualTo(T0.plus(Duration.ofHours(24)));
      }
    }

    @Test
    void customCategories() {
      TtlCategories ttls =
          TtlCategories.builder()
              .ttl("email", Duration.ofMinutes(10))
              .ttl("default", Duration.ofMinutes(3))
              .build();
      try (Idem idem = idem().ttlCategories(ttls).build()) {
        IdempotencyKey email = StandardKeys.email(1, "t");
        idem.once(email, null, counting("x"));
        idem.once(key("a"), null, counting("x"));

        assertThat(record(idem, email).expiresAt()).isEqualTo(T0.plus(Duration.ofMinutes(10)));
        assertThat(record(idem, key("a")).expiresAt()).isEqualTo(T0.plus(Duration.ofMinutes(3)));
      }
    }
  }

  @Nested
  class TypedResults {

    private final Receipt receipt = new Receipt("r-1", new BigDecimal("9.90"), List.of("a", "b"));

    @Test
    void recordIsReplayedViaResultType() {
      try (Idem idem = idem().build()) {
        ResultType<Receipt> type = ResultType.of(Receipt.class);
        idem.once(key("a"), null, type, () -> receipt);

        Outcome<Receipt> replay = idem.once(key("a"), null, type, () -> null);

        assertThat(replay.wasReplayed()).isTrue();
        assertThat(replay.value()).isEqualTo(receipt);
      }
    }

    @Test
    void inMemoryReplayWithoutResultTypeIsTheSameInstance() {
      try (Idem idem = idem().build()) {
        idem.once(key("a"), null, () -> receipt);

        Outcome<Receipt> replay = idem.once(key("a"), null, () -> null);

        assertThat(replay.value()).isSameAs(receipt);
      }
    }

    @Test
    void genericResultTypeIsDecodedEvenInMemory() {
      try (Idem idem = idem().build()) {
        List<Receipt> receipts = List.of(receipt);
        ResultType<List<Receipt>> type = new ResultType<List<Receipt>>() {};
        idem.once(key("a"), null, type, () -> receipts);

        Outcome<List<Receipt>> replay = idem.once(key("a"), null, type, () -> null);

        assertThat(replay.value()).isEqualTo(receipts);
        assertThat(replay.value().get(0)).isInstanceOf(Receipt.class);
      }
    }

    @Test
    void textOnlyStoreDecodesReplays() {
      try (Idem idem = Idem.builder(new TextOnlyStore(clock)).noBackgroundPurge().build()) {
        List<Receipt> receipts = List.of(receipt, new Receipt("r-2", BigDecimal.ONE, List.of()));
        ResultType<List<Receipt>> listType = new ResultType<List<Receipt>>() {};
        idem.once(key("list"), null, listType, () -> receipts);
        idem.once(key("one"), null, () -> receipt);
        idem.once(key("map"), null, () -> Map.of("k", List.of(1, 2)));

        Outcome<List<Receipt>> list = idem.once(key("list"), null, listType, () -> null);
        Outcome<Receipt> one = idem.once(key("one"), null, () -> null);
        Outcome<Receipt> typed =
            idem.once(key("one"), null, ResultType.of(Receipt.class), () -> null);
        Outcome<Map<String, Object>> map = idem.once(key("map"), null, () -> null);

        assertThat(list.wasReplayed()).isTrue();
        assertThat(list.value()).isEqualTo(receipts);
        assertThat(one.value()).isEqualTo(receipt).isNotSameAs(receipt);
        assertThat(typed.value()).isEqualTo(receipt);
        assertThat(map.value()).isEqualTo(Map.of("k", List.of(1, 2)));
      }
    }

    @Test
    void resultRefusedByTheCodecIsACachedFailureAndTheBodyDoesNotRunTwice() {
      ResultCodec tiny = ResultCodec.jackson(JacksonResultCodec.defaultMapper(), 10);
      try (Idem idem = idem().codec(tiny).build()) {
        String big = "x".repeat(100);

        assertThatThrownBy(() -> idem.once(key("a"), null, counting(big)))
            .isInstanceOf(ResultCodecException.class)
            .hasMessageContaining("102 characters")
            .hasMessageContaining("limit of 10");

        CachedFailureException cached =
            catchThrowableOfType(
                CachedFailureException.class, () -> idem.once(key("a"), null, counting(big)));

        assertThat(cached.errorType()).isEqualTo(ResultCodecException.class.getName());
        assertThat(cached.errorMessage()).contains("limit of 10");
        assertThat(runs).hasValue(1);
      }
    }
  }

  @Nested
  class Events {

    private final List<IdemEvent> events = new CopyOnWriteArrayList<>();

    private List<IdemEvent.Type> types() {
      List<IdemEvent.Type> types = new ArrayList<>();
      for (IdemEvent e : events) {
        types.add(e.type());
      }
      return types;
    }

    @Test
    void listenerHearsWhatHappens() {
      IdemPolicy policy =
          IdemPolicy.builder()
              .maxAttempts(2)
              .onFailure(
                  FailurePolicy.byException()
                      .on(
                          IllegalArgumentException.class,
                          FailurePolicy.cacheFor(Duration.ofHours(1)))
                      .otherwise(FailurePolicy.release()))
              .build();
      try (Idem idem = idem().defaultPolicy(policy).listener(events::add).build()) {
        IdempotencyKey a = key("a");
        IdempotencyKey b = key("b");
        IdempotencyKey c = key("c");

        idem.once(a, "p", counting("x"));
        idem.once(a, "p", counting("x"));
        assertThatThrownBy(() -> idem.once(a, "other", counting("x")))
            .isInstanceOf(PayloadMismatchException.class);
        assertThatThrownBy(() -> idem.once(b, null, failing(new IllegalArgumentException("bad"))))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> idem.once(b, null, counting("x")))
            .isInstanceOf(CachedFailureException.class);
        assertThatThrownBy(() -> idem.once(c, null, failing(new IllegalStateException("s"))))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> idem.once(c, null, failing(new IllegalStateException("s"))))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> idem.once(c, null, counting("x")))
            .isInstanceOf(AttemptsExhaustedException.class);

        assertThat(types())
            .containsExactly(
                IdemEvent.Type.EXECUTED,
                IdemEvent.Type.REPLAYED,
                IdemEvent.Type.PAYLOAD_MISMATCH,
                IdemEvent.Type.FAILED,
                IdemEvent.Type.CACHED_FAILURE,
                IdemEvent.Type.FAILED,
                IdemEvent.Type.FAILED,
                IdemEvent.Type.ATTEMPTS_EXHAUSTED);
        for (IdemEvent e : events) {
          assertThat(e.namespace()).isEqualTo("test.ns");
          assertThat(e.at()).isEqualTo(T0);
        }
        IdemEvent executed = events.get(0);
        assertThat(executed.key()).isEqualTo(a.value());
        assertThat(executed.attempt()).isEqualTo(1);
        assertThat(executed.token()).isPositive();
        assertThat(executed.elapsed()).isNotNull();
        assertThat(executed.detail()).isNull();
        assertThat(events.get(1).elapsed()).isNull();
        IdemEvent failed = events.get(3);
        assertThat(failed.key()).isEqualTo(b.value());
        assertThat(failed.detail()).contains("IllegalArgumentException").contains("bad");
        assertThat(failed.elapsed()).isNotNull();
        assertThat(events.get(6).attempt()).isEqualTo(2);
      }
    }

    @Test
    void throwingListenerDoesNotBreakCalls() {
      IdemListener broken =
          e -> {
            throw new IllegalStateException("listener is broken");
          };
      try (Idem idem = idem().listener(broken).build()) {
        assertThat(idem.once(key("a"), null, counting("x")).wasExecuted()).isTrue();
        assertThat(idem.once(key("a"), null, counting("x")).wasReplayed()).isTrue();
        assertThatThrownBy(() -> idem.once(key("a"), "other", counting("x")))
            .isInstanceOf(PayloadMismatchException.class);
      }
    }

    @Test
    void otherListenersStillHearWhenOneThrows() {
      IdemListener broken =
          e -> {
            throw new IllegalStateException("listener is broken");
          };
      try (Idem idem = idem().listener(broken).listener(events::add).build()) {
        idem.once(key("a"), null, counting("x"));
        idem.once(key("a"), null, counting("x"));

        assertThat(types()).containsExactly(IdemEvent.Type.EXECUTED, IdemEvent.Type.REPLAYED);
      }
    }
  }

  @Nested
  class Decorators {

    @Test
    void decorateFunctionKeysByTheArgumentAndUsesItAsPayload() {
      try (Idem idem = idem().build()) {
        Function<String, Outcome<Integer>> length =
            idem.decorateFunction(
                s -> IdempotencyKey.of("length", s),
                s -> {
                  runs.incrementAndGet();
                  return s.length();
                });

        Outcome<Integer> first = length.apply("hello");
        Outcome<Integer> second = length.apply("hello");
        Outcome<Integer> other = length.apply("hi");

        assertThat(first.wasExecuted()).isTrue();
        assertThat(first.value()).isEqualTo(5);
        assertThat(second.wasReplayed()).isTrue();
        assertThat(second.value()).isEqualTo(5);
        assertThat(other.wasExecuted()).isTrue();
        assertThat(other.value()).isEqualTo(2);
        assertThat(runs).hasValue(2);
        assertThat(record(idem, IdempotencyKey.of("length", "hello")).fingerprint())
            .isEqualTo(PayloadFingerprint.of("hello"));
      }
    }

    @Test
    void decorateSupplierIsLazy() {
      try (Idem idem = idem().build()) {
        Supplier<Outcome<String>> supplier =
            idem.decorateSupplier(
                key("a"),
                "p",
                () -> {
                  runs.incrementAndGet();
                  return "v";
                });
        assertThat(runs).hasValue(0);

        assertThat(supplier.get().wasExecuted()).isTrue();
        assertThat(supplier.get().wasReplayed()).isTrue();
        assertThat(supplier.get().value()).isEqualTo("v");
        assertThat(runs).hasValue(1);
      }
    }

    @Test
    void decorateCallableIsLazy() throws Exception {
      try (Idem idem = idem().build()) {
        Callable<Outcome<String>> callable = idem.decorateCallable(key("a"), "p", counting("v"));
        assertThat(runs).hasValue(0);

        assertThat(callable.call().wasExecuted()).isTrue();
        assertThat(callable.call().wasReplayed()).isTrue();
        assertThat(runs).hasValue(1);
      }
    }

    @Test
    void runOnceRunsARunnableOnce() {
      try (Idem idem = idem().build()) {
        Outcome<Void> first = idem.runOnce(key("a"), "p", runs::incrementAndGet);
        Outcome<Void> second = idem.runOnce(key("a"), "p", runs::incrementAndGet);

        assertThat(first.wasExecuted()).isTrue();
        assertThat(first.value()).isNull();
        assertThat(second.wasReplayed()).isTrue();
        assertThat(runs).hasValue(1);
      }
    }
  }

  @Nested
  class Administration {

    @Test
    void forgetMakesTheNextCallExecute() {
      try (Idem idem = idem().build()) {
        idem.once(key("a"), null, counting("x"));

        assertThat(idem.forget(key("a"))).isTrue();
        assertThat(idem.forget(key("a"))).isFalse();
        assertThat(idem.inspect(key("a"))).isEmpty();
        Outcome<String> again = idem.once(key("a"), "another payload", counting("y"));

        assertThat(again.wasExecuted()).isTrue();
        assertThat(again.attempt()).isEqualTo(1);
        assertThat(runs).hasValue(2);
      }
    }

    @Test
    void tokensKeepGrowingAcrossForget() {
      try (Idem idem = idem().build()) {
        long first = idem.once(key("a"), null, counting("x")).token();
        idem.forget(key("a"));

        assertThat(idem.once(key("a"), null, counting("x")).token()).isGreaterThan(first);
      }
    }

    @Test
    void purgeExpiredRemovesOnlyExpiredRecords() {
      try (Idem idem = idem().build()) {
        idem.once(key("a"), null, counting("x"));
        idem.once(key("b"), null, counting("x"));
        idem.once(StandardKeys.email(1, "t"), null, counting("x"));
        assertThat(idem.purgeExpired()).isZero();

        clock.advance(Duration.ofHours(1));
        assertThat(idem.inspect(key("a"))).isEmpty();
        assertThat(store.size()).isEqualTo(3);

        assertThat(idem.purgeExpired()).isEqualTo(2);
        assertThat(store.size()).isEqualTo(1);
        assertThat(idem.inspect(StandardKeys.email(1, "t"))).isPresent();
      }
    }

    @Test
    void purgeExpiredDeletesMoreThanOneBatch() {
      try (Idem idem = idem().build()) {
        for (int i = 0; i < 2500; i++) {
          idem.once(IdempotencyKey.readable("bulk", i), null, () -> "x");
        }
        clock.advance(Duration.ofHours(2));

        assertThat(idem.purgeExpired()).isEqualTo(2500);
        assertThat(store.size()).isZero();
      }
    }

    @Test
    void purgeKeepsAClaimWhoseLeaseIsRunning() {
      try (Idem idem = idem().build()) {
        IdemPolicy shortTtl =
            IdemPolicy.builder().ttl(Duration.ofSeconds(1)).lease(Duration.ofMinutes(5)).build();
        store.claim(
            new io.idem.spi.ClaimRequest(
                key("held").value(), PayloadFingerprint.NONE, shortTtl.lease(), shortTtl.ttl(), 1));

        clock.advance(Duration.ofMinutes(4));
        assertThat(idem.purgeExpired()).isZero();
        clock.advance(Duration.ofMinutes(1));
        assertThat(idem.purgeExpired()).isEqualTo(1);
      }
    }

    @Test
    void backgroundPurgeRunsOnItsOwn() {
      try (Idem idem = Idem.builder(store).purgeEvery(Duration.ofMillis(20)).build()) {
        idem.once(key("a"), null, counting("x"));
        assertThat(store.size()).isEqualTo(1);
        clock.advance(Duration.ofHours(1));

        await().atMost(Duration.ofSeconds(5)).until(() -> store.size() == 0);
      }
    }

    @Test
    void purgeEveryMustBePositive() {
      assertThatThrownBy(() -> Idem.builder(store).purgeEvery(Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("purgeEvery must be positive, but was PT0S");
    }

    @Test
    void inMemoryIdemClosesItsStore() {
      Idem idem = Idem.inMemory();
      idem.once(key("a"), null, counting("x"));
      InMemoryIdempotencyStore own = (InMemoryIdempotencyStore) idem.store();
      assertThat(own.size()).isEqualTo(1);

      idem.close();

      assertThat(own.size()).isZero();
    }

    @Test
    void closeLeavesAGivenStoreOpen() {
      try (Idem idem = idem().build()) {
        idem.once(key("a"), null, counting("x"));
      }
      assertThat(store.size()).isEqualTo(1);
    }

    @Test
    void defaultPolicyIsExposed() {
      IdemPolicy policy = IdemPolicy.builder().maxAttempts(3).build();
      try (Idem idem = idem().defaultPolicy(policy).build()) {
        assertThat(idem.defaultPolicy()).isSameAs(policy);
        assertThat(idem.store()).isSameAs(store);
      }
    }
  }
}
