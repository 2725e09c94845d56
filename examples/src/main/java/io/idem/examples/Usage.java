package io.idem.examples;

import io.idem.FailurePolicy;
import io.idem.Idem;
import io.idem.IdemPolicy;
import io.idem.IdempotencyKey;
import io.idem.Outcome;
import io.idem.Scope;
import io.idem.sqlite.SqliteDatabase;
import java.nio.file.Path;
import java.time.Duration;

/** The README's usage block, compiled by the build (a test checks the README still matches). */
final class Usage {

  private Usage() {}

  record Order(String id, long userId, long cents) {}

  record Receipt(String orderId, String chargeId) {}

  interface Payments {
    Receipt charge(Order order);
  }

  static Receipt chargeOnce(Path dataDir, Payments payments, Order order) {
    // README:usage:start
    try (SqliteDatabase db = SqliteDatabase.open(dataDir.resolve("idem.db"));
        Idem idem = Idem.builder(db.idempotencyStore()).build()) {

      IdempotencyKey key = IdempotencyKey.of("charge", Scope.user(order.userId()), order);
      IdemPolicy policy =
          IdemPolicy.builder()
              .ttl(Duration.ofHours(6))
              .onFailure(FailurePolicy.cacheFor(Duration.ofMinutes(5)))
              .build();

      Outcome<Receipt> outcome = idem.once(key, order, policy, () -> payments.charge(order));
      // outcome.wasExecuted(): charged now; outcome.wasReplayed(): charged before, same receipt
      return outcome.value();
    }
    // README:usage:end
  }
}
