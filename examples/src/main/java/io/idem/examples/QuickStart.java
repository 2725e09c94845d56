package io.idem.examples;

import io.idem.Idem;
import io.idem.IdemPolicy;
import io.idem.IdempotencyKey;
import io.idem.InProgressException;
import io.idem.InProgressPolicy;
import io.idem.Outcome;
import io.idem.PayloadMismatchException;
import io.idem.Scope;
import io.idem.StandardKeys;
import io.idem.sqlite.SqliteDatabase;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The README's first command: Idem on its embedded default, a SQLite file under {@code
 * ./idem-data}. It sends a (pretend) welcome email once, shows a duplicate call replayed, a
 * concurrent duplicate refused, and a reused key with another payload refused. Run it twice: the
 * second run replays the email from the file.
 */
public final class QuickStart {

  private QuickStart() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "idem-data");
    run(dir, System.out);
  }

  /** Runs the walk-through on the database in {@code dir}, printing to {@code out}. */
  public static void run(Path dir, PrintStream out) throws Exception {
    Path file = dir.resolve("idem.db");
    try (SqliteDatabase db = SqliteDatabase.open(file);
        Idem idem = Idem.builder(db.idempotencyStore()).build()) {
      out.println("Idem on SQLite: " + db.path());
      AtomicInteger emailsSent = new AtomicInteger();

      // 1. The first call runs the body; the file remembers it across runs.
      IdempotencyKey welcome = StandardKeys.email(42, "welcome");
      Outcome<String> first =
          idem.once(welcome, null, () -> "welcome email #" + emailsSent.incrementAndGet());
      out.printf(
          "1. send welcome email to user 42: %s -> %s%s%n",
          first.kind(),
          first.value(),
          first.wasReplayed() ? " (completed by an earlier run: nothing sent now)" : "");

      // 2. A duplicate gets the stored result; the body does not run again.
      Outcome<String> duplicate =
          idem.once(welcome, null, () -> "welcome email #" + emailsSent.incrementAndGet());
      out.printf(
          "2. the same call again:         %s -> %s (emails sent by this run: %d)%n",
          duplicate.kind(), duplicate.value(), emailsSent.get());

      // 3. A duplicate that arrives while the first is still running is refused.
      IdempotencyKey report =
          IdempotencyKey.of("report", Scope.tenant("acme"), Map.of("run", UUID.randomUUID()));
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch finish = new CountDownLatch(1);
      CompletableFuture<Outcome<String>> slow =
          CompletableFuture.supplyAsync(
              () ->
                  idem.once(
                      report,
                      null,
                      () -> {
                        started.countDown();
                        finish.await(30, TimeUnit.SECONDS);
                        return "report ready";
                      }));
      started.await(30, TimeUnit.SECONDS);
      IdemPolicy reject = IdemPolicy.builder().onInProgress(InProgressPolicy.reject()).build();
      try {
        idem.once(report, null, reject, () -> "second report");
        out.println("3. concurrent duplicate: ran (unexpected!)");
      } catch (InProgressException e) {
        out.println("3. concurrent duplicate:        refused -> " + e.getMessage());
      }
      finish.countDown();
      out.println("   the first call then finished: " + slow.get(30, TimeUnit.SECONDS).value());

      // 4. The same key with another payload is refused, not silently replayed.
      IdempotencyKey refund = IdempotencyKey.readable("refund", "order-7", UUID.randomUUID());
      idem.once(refund, Map.of("amount", 10), () -> "refunded 10");
      try {
        idem.once(refund, Map.of("amount", 99), () -> "refunded 99");
        out.println("4. same key, other payload: ran (unexpected!)");
      } catch (PayloadMismatchException e) {
        out.println("4. same key, other payload:     refused -> " + e.getMessage());
      }
    }
  }
}
