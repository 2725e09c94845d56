package io.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.memory.InMemoryIdempotencyStore;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.RecordState;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** A store that is briefly unavailable after the body ran must not make the body run twice. */
class IdemStoreOutageTest {

  /**
   * Fails the first {@code failures} complete and fail calls as unavailable; with {@code
   * applyThenFail}, those calls are applied first and only their answer is lost.
   */
  static class FlakyStore implements IdempotencyStore {
    final InMemoryIdempotencyStore delegate = InMemoryIdempotencyStore.create();
    final AtomicInteger failuresLeft;
    final AtomicInteger writes = new AtomicInteger();
    boolean applyThenFail;

    FlakyStore(int failures) {
      this.failuresLeft = new AtomicInteger(failures);
    }

    private void maybeFail() {
      writes.incrementAndGet();
      if (!applyThenFail && failuresLeft.getAndDecrement() > 0) {
        throw new StoreUnavailableException("flaky store: down", null);
      }
    }

    private boolean answer(boolean applied) {
      if (applyThenFail && failuresLeft.getAndDecrement() > 0) {
        throw new StoreUnavailableException("flaky store: answer lost", null);
      }
      return applied;
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
      return delegate.claim(request);
    }

    @Override
    public boolean complete(String key, long token, StoredResult result, Duration ttl) {
      maybeFail();
      return answer(delegate.complete(key, token, result, ttl));
    }

    @Override
    public boolean fail(
        String key, long token, @Nullable StoredError error, Duration retryAfter, Duration ttl) {
      maybeFail();
      return answer(delegate.fail(key, token, error, retryAfter, ttl));
    }

    @Override
    public boolean extend(String key, long token, Duration lease) {
      return delegate.extend(key, token, lease);
    }

    @Override
    public Optional<IdempotencyRecord> get(String key) {
      return delegate.get(key);
    }

    @Override
    public boolean delete(String key) {
      return delegate.delete(key);
    }

    @Override
    public int purgeExpired(int limit) {
      return delegate.purgeExpired(limit);
    }

    @Override
    public void close() {}
  }

  @Test
  void completeIsRetriedThroughABriefOutageSoTheBodyRunsOnce() {
    FlakyStore store = new FlakyStore(3);
    try (Idem idem = Idem.builder(store).noBackgroundPurge().build()) {
      IdempotencyKey key = IdempotencyKey.readable("outage:1");
      AtomicInteger runs = new AtomicInteger();

      Outcome<Integer> first = idem.once(key, null, runs::incrementAndGet);
      Outcome<Integer> second = idem.once(key, null, runs::incrementAndGet);

      assertThat(first.wasExecuted()).isTrue();
      assertThat(second.wasReplayed()).isTrue();
      assertThat(runs).hasValue(1);
      assertThat(store.writes).hasValue(4);
    }
  }

  @Test
  void aFailureIsRecordedThroughABriefOutage() {
    FlakyStore store = new FlakyStore(2);
    IdemPolicy cache =
        IdemPolicy.builder().onFailure(FailurePolicy.cacheFor(Duration.ofMinutes(5))).build();
    try (Idem idem = Idem.builder(store).noBackgroundPurge().build()) {
      IdempotencyKey key = IdempotencyKey.readable("outage:2");
      assertThatThrownBy(
              () ->
                  idem.once(
                      key,
                      null,
                      cache,
                      () -> {
                        throw new IllegalStateException("boom");
                      }))
          .isInstanceOf(IllegalStateException.class);

      assertThat(store.get(key.value()).orElseThrow().state()).isEqualTo(RecordState.FAILED);
      assertThatThrownBy(() -> idem.once(key, null, cache, () -> "again"))
          .isInstanceOf(CachedFailureException.class);
    }
  }

  @Test
  void anOutageLongerThanHalfTheLeaseIsReportedAndTheClaimIsLeftToItsLease() {
    FlakyStore store = new FlakyStore(Integer.MAX_VALUE);
    IdemPolicy shortLease = IdemPolicy.builder().lease(Duration.ofMillis(400)).build();
    try (Idem idem = Idem.builder(store).noBackgroundPurge().build()) {
      IdempotencyKey key = IdempotencyKey.readable("outage:3");

      assertThatThrownBy(() -> idem.once(key, null, shortLease, () -> "ran"))
          .isInstanceOf(StoreUnavailableException.class);
      assertThat(store.get(key.value()).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
    }
  }

  @Test
  void aCompleteAppliedWithItsAnswerLostIsNotReportedAsALostLease() {
    FlakyStore store = new FlakyStore(1);
    store.applyThenFail = true;
    try (Idem idem = Idem.builder(store).noBackgroundPurge().build()) {
      IdempotencyKey key = IdempotencyKey.readable("outage:lost-answer");

      Outcome<String> o = idem.once(key, null, () -> "ran");

      assertThat(o.wasExecuted()).isTrue();
      assertThat(store.get(key.value()).orElseThrow().state()).isEqualTo(RecordState.COMPLETED);
    }
  }

  @Test
  void aResultTheStoreRefusesIsCachedAsAFailureSoTheBodyDoesNotRunAgain() {
    FlakyStore store =
        new FlakyStore(0) {
          @Override
          public boolean complete(String key, long token, StoredResult result, Duration ttl) {
            throw new IllegalArgumentException("text with U+0000 cannot be stored");
          }
        };
    try (Idem idem = Idem.builder(store).noBackgroundPurge().build()) {
      IdempotencyKey key = IdempotencyKey.readable("refused:1");
      AtomicInteger runs = new AtomicInteger();

      assertThatThrownBy(() -> idem.once(key, null, runs::incrementAndGet))
          .isInstanceOf(ResultCodecException.class)
          .hasMessageContaining("U+0000");
      assertThatThrownBy(() -> idem.once(key, null, runs::incrementAndGet))
          .isInstanceOf(CachedFailureException.class);
      assertThat(runs).hasValue(1);
    }
  }
}
