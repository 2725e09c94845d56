package io.idem.bench;

import io.idem.Outcome;
import io.idem.sqlite.SqliteDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
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
 * A first call on SQLite, claim and complete: {@code idem.once(freshKey, null, () -> "ok")} with a
 * new readable key on every invocation ({@link #idemOnce}), against raw JDBC doing the least that
 * leaves the same row behind ({@link #rawJdbc}): in auto-commit, an {@code INSERT} of the
 * IN_PROGRESS row (all 14 columns) and the {@code UPDATE} that completes it, fenced by the token,
 * both prepared once (see {@link RawSqlite#insertAndComplete}).
 *
 * <p>Both run on the same database file, in a new temporary folder per trial, with the same
 * pragmas: {@link SqliteDatabase#open(Path)} (WAL, {@code synchronous=NORMAL}, a 5 s busy timeout,
 * foreign keys on) for Idem, and a second plain connection configured alike for the baseline. Each
 * side works on one connection guarded by one lock, as {@link SqliteDatabase} does. The keys of the
 * two sides have distinct prefixes of the same length, and grow in order.
 *
 * <p>Per Idem call the store runs: a {@code SELECT} (the replay check), then {@code BEGIN
 * IMMEDIATE}, {@code SELECT}, the token sequence's {@code UPDATE ... RETURNING}, the {@code INSERT
 * ... ON CONFLICT ... RETURNING} of the claim, {@code COMMIT}, then the completing {@code UPDATE}:
 * two commits, as the baseline.
 *
 * <p>Target: {@link #idemOnce} at least 0.8 times the throughput of {@link #rawJdbc}, on one
 * thread. The 4-thread pair is reported too. {@link SqlitePartsBenchmark} breaks the difference
 * down.
 *
 * <p>{@link #interleaved} measures the same two operations alternately in one loop, timing each, so
 * that both sides see the same background load: on a shared machine a neighbour's build can halve
 * the throughput of whichever method runs at that moment. Its raw side writes to a file of its own
 * (see {@link SqliteFixture}), as two connections alternating on one file would keep dropping each
 * other's page cache. {@link RunBenchmarks} reports it as {@code interleaved:idem} against {@code
 * interleaved:raw}.
 *
 * <p>Run alone:
 *
 * <pre>{@code
 * java -jar idem-bench/target/idem-bench.jar --include SqliteClaimCompleteBenchmark
 * }</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SqliteClaimCompleteBenchmark {

  private @Nullable SqliteFixture fixture;

  /** Opens a new database file through Idem, then a second plain connection on it. */
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

  /** Idem: claim and complete a new key, one thread. */
  @Benchmark
  @Threads(1)
  public Outcome<String> idemOnce() {
    return once();
  }

  /** Raw JDBC: insert and complete a new row, one thread. */
  @Benchmark
  @Threads(1)
  public boolean rawJdbc() throws SQLException {
    return insertAndComplete();
  }

  /** {@link #idemOnce} on four threads sharing the Idem (and its one connection). */
  @Benchmark
  @Threads(4)
  public Outcome<String> idemOnce4Threads() {
    return once();
  }

  /** {@link #rawJdbc} on four threads sharing the connection. */
  @Benchmark
  @Threads(4)
  public boolean rawJdbc4Threads() throws SQLException {
    return insertAndComplete();
  }

  /** How many calls {@link #interleaved} makes on one side before it turns to the other. */
  static final int BLOCK = 100;

  /**
   * The time each side of {@link #interleaved} took in an iteration, and how many calls it made.
   * JMH reports the fields as secondary results, per iteration.
   */
  @State(org.openjdk.jmh.annotations.Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Split {
    /** Nanoseconds spent in Idem's calls. */
    public long idemNanos;

    /** Idem's calls. */
    public long idemCalls;

    /** Nanoseconds spent in the raw JDBC operations. */
    public long rawNanos;

    /** Raw JDBC operations. */
    public long rawCalls;

    long invocations;

    @Setup(Level.Iteration)
    public void reset() {
      idemNanos = 0;
      idemCalls = 0;
      rawNanos = 0;
      rawCalls = 0;
    }
  }

  /**
   * One call of one side, timed: {@link #BLOCK} Idem calls, then {@link #BLOCK} raw operations, and
   * so on, so that each side runs with warm caches as when it runs alone, while both share whatever
   * load the machine has at the time.
   */
  @Benchmark
  @Threads(1)
  public boolean interleaved(Split split) throws SQLException {
    boolean idemSide = (split.invocations++ / BLOCK) % 2 == 0;
    long t0 = System.nanoTime();
    boolean ok = idemSide ? once().wasExecuted() : insertAndCompleteAlone();
    long elapsed = System.nanoTime() - t0;
    if (idemSide) {
      split.idemNanos += elapsed;
      split.idemCalls++;
    } else {
      split.rawNanos += elapsed;
      split.rawCalls++;
    }
    return ok;
  }

  SqliteFixture fixture() {
    SqliteFixture f = fixture;
    if (f == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return f;
  }

  private Outcome<String> once() {
    SqliteFixture f = fixture();
    return f.idem.once(f.nextIdemKey(), null, () -> "ok");
  }

  private boolean insertAndComplete() throws SQLException {
    SqliteFixture f = fixture();
    return f.raw.insertAndComplete(f.nextRawKey());
  }

  private boolean insertAndCompleteAlone() throws SQLException {
    SqliteFixture f = fixture();
    return f.rawAlone.insertAndComplete(f.nextRawKey());
  }
}
