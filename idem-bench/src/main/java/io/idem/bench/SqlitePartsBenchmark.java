package io.idem.bench;

import io.idem.IdemPolicy;
import io.idem.PayloadFingerprint;
import io.idem.TtlCategories;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.StoredResult;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Diagnostics, not part of the default suite: {@link SqliteClaimCompleteBenchmark#idemOnce} taken
 * apart on one thread, from the raw baseline to the full call, each step adding one thing:
 *
 * <ol>
 *   <li>{@code rawJdbc}: the baseline, INSERT and UPDATE in auto-commit;
 *   <li>{@code rawInTransaction}: the INSERT in an explicit {@code BEGIN IMMEDIATE ... COMMIT};
 *   <li>{@code rawTokenSequence}: plus the store's token sequence ({@code UPDATE idem_sequences ...
 *       RETURNING}) in that transaction;
 *   <li>{@code rawStoreStatements}: the statements {@code SqliteIdempotencyStore} runs for a first
 *       call, in its order, prepared once, with no Java around them ({@link
 *       RawSqlite#storeStatements}): that is, plus a {@code SELECT} before the transaction and one
 *       in it, and the claim as {@code INSERT ... ON CONFLICT ... RETURNING};
 *   <li>{@code storeGetClaimComplete}: {@code store.get}, {@code store.claim}, {@code
 *       store.complete}: the same statements through the store's Java;
 *   <li>{@code idemOnceNoHeartbeat}: {@code idem.once} with heartbeats off;
 *   <li>{@code idemOnce}: {@code idem.once} with the default policy (a heartbeat every 10 s, so one
 *       scheduled and cancelled per call).
 * </ol>
 *
 * <p>The steps run in turn in one loop ({@link #steps}), {@value #BLOCK} calls at a time, each
 * timed, so that they all share the machine's load of the moment (see {@link
 * SqliteClaimCompleteBenchmark#interleaved}); the raw steps write to a file of their own. {@link
 * RunBenchmarks} reports each as {@code steps:<name>} against {@code steps:rawJdbc}.
 *
 * <pre>{@code
 * java -jar idem-bench/target/idem-bench.jar --include SqlitePartsBenchmark
 * }</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
public class SqlitePartsBenchmark {

  /** Calls of one step before the next step's turn. */
  static final int BLOCK = 100;

  private static final int STEPS = 7;
  private static final Duration TTL = TtlCategories.DEFAULT_TTL;
  private static final StoredResult OK =
      new StoredResult(RawSqlite.RESULT_TYPE, RawSqlite.RESULT, null);
  private static final IdemPolicy NO_HEARTBEAT = IdemPolicy.builder().noHeartbeat().build();

  private @Nullable SqliteFixture fixture;

  @Setup(Level.Trial)
  public void setup() throws IOException, SQLException {
    fixture = SqliteFixture.open();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException, SQLException {
    if (fixture != null) {
      fixture.close();
      fixture = null;
    }
  }

  /** Time and calls of each step in an iteration, reported by JMH as secondary results. */
  @State(org.openjdk.jmh.annotations.Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Steps {
    public long rawJdbcNanos;
    public long rawJdbcCalls;
    public long rawInTransactionNanos;
    public long rawInTransactionCalls;
    public long rawTokenSequenceNanos;
    public long rawTokenSequenceCalls;
    public long rawStoreStatementsNanos;
    public long rawStoreStatementsCalls;
    public long storeGetClaimCompleteNanos;
    public long storeGetClaimCompleteCalls;
    public long idemOnceNoHeartbeatNanos;
    public long idemOnceNoHeartbeatCalls;
    public long idemOnceNanos;
    public long idemOnceCalls;
    long invocations;

    @Setup(Level.Iteration)
    public void reset() {
      rawJdbcNanos = 0;
      rawJdbcCalls = 0;
      rawInTransactionNanos = 0;
      rawInTransactionCalls = 0;
      rawTokenSequenceNanos = 0;
      rawTokenSequenceCalls = 0;
      rawStoreStatementsNanos = 0;
      rawStoreStatementsCalls = 0;
      storeGetClaimCompleteNanos = 0;
      storeGetClaimCompleteCalls = 0;
      idemOnceNoHeartbeatNanos = 0;
      idemOnceNoHeartbeatCalls = 0;
      idemOnceNanos = 0;
      idemOnceCalls = 0;
    }
  }

  /** One call of the step whose turn it is, timed. */
  @Benchmark
  public boolean steps(Steps steps) throws SQLException {
    int step = (int) ((steps.invocations++ / BLOCK) % STEPS);
    long t0 = System.nanoTime();
    boolean ok = step(step);
    long elapsed = System.nanoTime() - t0;
    switch (step) {
      case 0 -> {
        steps.rawJdbcNanos += elapsed;
        steps.rawJdbcCalls++;
      }
      case 1 -> {
        steps.rawInTransactionNanos += elapsed;
        steps.rawInTransactionCalls++;
      }
      case 2 -> {
        steps.rawTokenSequenceNanos += elapsed;
        steps.rawTokenSequenceCalls++;
      }
      case 3 -> {
        steps.rawStoreStatementsNanos += elapsed;
        steps.rawStoreStatementsCalls++;
      }
      case 4 -> {
        steps.storeGetClaimCompleteNanos += elapsed;
        steps.storeGetClaimCompleteCalls++;
      }
      case 5 -> {
        steps.idemOnceNoHeartbeatNanos += elapsed;
        steps.idemOnceNoHeartbeatCalls++;
      }
      default -> {
        steps.idemOnceNanos += elapsed;
        steps.idemOnceCalls++;
      }
    }
    return ok;
  }

  /** Step {@code step} (0 to 6, in the order of the class comment) once, on a new key. */
  boolean step(int step) throws SQLException {
    SqliteFixture f = fixture();
    return switch (step) {
      case 0 -> f.rawAlone.insertAndComplete(f.nextRawKey());
      case 1 -> f.rawAlone.insertAndComplete(f.nextRawKey(), true, false);
      case 2 -> f.rawAlone.insertAndComplete(f.nextRawKey(), true, true);
      case 3 -> f.rawAlone.storeStatements(f.nextRawKey());
      case 4 -> storeGetClaimComplete(f.db.idempotencyStore(), f.nextIdemKey().value());
      case 5 -> f.idem.once(f.nextIdemKey(), null, NO_HEARTBEAT, () -> "ok").wasExecuted();
      case 6 -> f.idem.once(f.nextIdemKey(), null, () -> "ok").wasExecuted();
      default -> throw new IllegalArgumentException("no step " + step);
    };
  }

  private SqliteFixture fixture() {
    SqliteFixture f = fixture;
    if (f == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return f;
  }

  private static boolean storeGetClaimComplete(IdempotencyStore store, String key) {
    if (store.get(key).isPresent()) {
      throw new IllegalStateException("key used twice: " + key);
    }
    ClaimResult claim =
        store.claim(
            new ClaimRequest(
                key,
                PayloadFingerprint.NONE,
                IdemPolicy.DEFAULT_LEASE,
                TTL,
                IdemPolicy.DEFAULT_MAX_ATTEMPTS));
    return store.complete(key, claim.record().token(), OK, TTL);
  }
}
