package io.idem.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.Idem;
import io.idem.IdemPolicy;
import io.idem.IdempotencyKey;
import io.idem.InProgressException;
import io.idem.InProgressPolicy;
import io.idem.Outcome;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.RecordState;
import io.idem.testkit.SettableClock;
import io.idem.testkit.StaleTokens;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Nothing is lost when a process dies: kill -9 of a holder, and of a process that completed. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SqliteCrashRecoveryTest {

  @TempDir Path dir;
  private final List<Process> children = new ArrayList<>();

  @AfterEach
  void killChildren() {
    children.forEach(Process::destroyForcibly);
  }

  @Test
  void aKilledHoldersClaimIsTakenOverOnceItsLeasePassesAndItsTokenIsRefused() throws Exception {
    Path db = dir.resolve("idem.db");
    String key = "crash:hold:1";
    Process child = start(db, key, "hold");
    long childToken = awaitLine(child, "HOLDING ");
    child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    assertThat(child.isAlive()).isFalse();

    SettableClock clock = SettableClock.at(Instant.ofEpochMilli(System.currentTimeMillis()));
    try (SqliteDatabase database = SqliteDatabase.builder(db).clock(clock).open();
        Idem idem = Idem.builder(database.idempotencyStore()).noBackgroundPurge().build()) {
      IdempotencyStore store = database.idempotencyStore();
      IdempotencyRecord orphan = store.get(key).orElseThrow();
      assertThat(orphan.state()).isEqualTo(RecordState.IN_PROGRESS);
      assertThat(orphan.token()).isEqualTo(childToken);
      assertThat(orphan.attempt()).isEqualTo(1);

      IdemPolicy reject = IdemPolicy.builder().onInProgress(InProgressPolicy.reject()).build();
      IdempotencyKey k = IdempotencyKey.readable(key);
      assertThatThrownBy(() -> idem.once(k, null, reject, () -> "too early"))
          .isInstanceOf(InProgressException.class);

      clock.set(orphan.leaseUntil().plusMillis(1));
      AtomicInteger runs = new AtomicInteger();
      CountDownLatch running = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      ExecutorService newHolder = Executors.newSingleThreadExecutor();
      Outcome<String> takeover;
      try {
        Future<Outcome<String>> call =
            newHolder.submit(
                () ->
                    idem.once(
                        k,
                        null,
                        reject,
                        () -> {
                          running.countDown();
                          assertThat(release.await(60, TimeUnit.SECONDS)).isTrue();
                          return "after-" + runs.incrementAndGet();
                        }));
        assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();

        // the new holder's body runs: its claim is IN_PROGRESS with a new token
        IdempotencyRecord held = store.get(key).orElseThrow();
        assertThat(held.state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(held.attempt()).isEqualTo(2);
        assertThat(held.token()).isGreaterThan(childToken);

        // the dead holder's token is refused while the new holder holds the key, and changes
        // nothing: neither a completion, a failure nor a longer lease
        assertThat(StaleTokens.assertRefusedAndChangeNothing(store, key, childToken))
            .isEqualTo(held);

        release.countDown();
        takeover = call.get(30, TimeUnit.SECONDS);
        assertThat(takeover.token()).isEqualTo(held.token());
      } finally {
        release.countDown();
        newHolder.shutdownNow();
      }

      assertThat(takeover.wasExecuted()).isTrue();
      assertThat(takeover.attempt()).isEqualTo(2);
      assertThat(takeover.value()).isEqualTo("after-1");
      assertThat(runs).hasValue(1);

      // and after the new holder completed
      StaleTokens.assertRefusedAndChangeNothing(store, key, childToken);
      IdempotencyRecord after = store.get(key).orElseThrow();
      assertThat(after.state()).isEqualTo(RecordState.COMPLETED);
      assertThat(after.result().encoded()).isEqualTo("\"after-1\"");
      assertThat(idem.once(k, null, reject, () -> "again").value()).isEqualTo("after-1");
    }
  }

  /** Complete, extend and fail with {@code token} all answer "not held". */
  @Test
  void aResultCompletedByAKilledProcessSurvivesAndIsReplayedAfterReopening() throws Exception {
    Path db = dir.resolve("idem.db");
    String key = "crash:complete:1";
    Process child = start(db, key, "complete");
    long token = awaitLine(child, "DONE ");
    child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

    for (int reopen = 0; reopen < 2; reopen++) {
      try (SqliteDatabase database = SqliteDatabase.open(db);
          Idem idem = Idem.builder(database.idempotencyStore()).noBackgroundPurge().build()) {
        Outcome<String> o = idem.once(IdempotencyKey.readable(key), null, () -> "must not run");
        assertThat(o.wasReplayed()).isTrue();
        assertThat(o.value()).isEqualTo("from-child");
        assertThat(o.token()).isEqualTo(token);
      }
    }
  }

  /** A typed result for the reopen test. */
  record Report(String name, int rows, Instant at) {}

  @Test
  void completedRecordsSurviveClosingAndReopening() {
    Path db = dir.resolve("nested/folder/idem.db");
    IdempotencyKey key = IdempotencyKey.of("report", java.util.Map.of("id", 3));
    Report report = new Report("sales", 12, Instant.parse("2026-03-01T00:00:00Z"));
    try (SqliteDatabase database = SqliteDatabase.open(db);
        Idem idem = Idem.builder(database.idempotencyStore()).noBackgroundPurge().build()) {
      assertThat(idem.once(key, null, () -> report).wasExecuted()).isTrue();
    }
    try (SqliteDatabase database = SqliteDatabase.open(db);
        Idem idem = Idem.builder(database.idempotencyStore()).noBackgroundPurge().build()) {
      Outcome<Report> o = idem.once(key, null, () -> null);
      assertThat(o.wasReplayed()).isTrue();
      assertThat(o.value()).isEqualTo(report);
    }
  }

  private Process start(Path db, String key, String mode) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            ChildHolder.class.getName(),
            db.toString(),
            key,
            mode);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    children.add(p);
    return p;
  }

  /** Reads the child's output until a line starts with {@code prefix}; returns the number after. */
  private static long awaitLine(Process child, String prefix) throws Exception {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    CompletableFuture<Long> found =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                String line;
                while ((line = out.readLine()) != null) {
                  if (line.startsWith(prefix)) {
                    return Long.parseLong(line.substring(prefix.length()).trim());
                  }
                  seen.append(line).append('\n');
                }
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              throw new AssertionError("child ended without '" + prefix + "':\n" + seen);
            });
    long value = found.get(60, TimeUnit.SECONDS);
    // keep draining so the child never blocks on a full pipe
    CompletableFuture.runAsync(
        () -> {
          try {
            while (out.readLine() != null) {
              // discard
            }
          } catch (IOException e) {
            // child gone
          }
        });
    return value;
  }
}
