package io.idem.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.time.Duration;
import java.util.Optional;

/**
 * The fencing check of crash and fault tests: a dead holder's token, sent after its claim was taken
 * over, must be refused by every fenced step and change nothing.
 */
public final class StaleTokens {

  private StaleTokens() {}

  /**
   * Sends {@code staleToken}'s completion, failure and a longer lease to {@code key} and asserts
   * that each is refused and that the record afterwards equals the record before, field by field
   * (state, token, attempt, lease, result, error). Send it while the new holder's body runs, so
   * that a store that ignored tokens would be caught leaving IN_PROGRESS, not only leaving
   * COMPLETED.
   *
   * @return the record, unchanged
   */
  public static IdempotencyRecord assertRefusedAndChangeNothing(
      IdempotencyStore store, String key, long staleToken) {
    Optional<IdempotencyRecord> before = store.get(key);
    assertThat(before).as("the record of %s", key).isPresent();
    assertThat(before.get().token()).as("the current token").isNotEqualTo(staleToken);
    Duration hour = Duration.ofHours(1);
    assertThat(store.complete(key, staleToken, new StoredResult("T", "\"stale\"", null), hour))
        .as("complete with the stale token %d", staleToken)
        .isFalse();
    assertThat(store.extend(key, staleToken, hour.multipliedBy(10)))
        .as("extend with the stale token %d", staleToken)
        .isFalse();
    assertThat(store.fail(key, staleToken, new StoredError("E", "stale"), Duration.ZERO, hour))
        .as("fail with the stale token %d", staleToken)
        .isFalse();
    assertThat(store.get(key)).as("the record of %s after the stale token", key).isEqualTo(before);
    return before.get();
  }
}
