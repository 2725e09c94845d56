package io.idem.bench;

import io.idem.Idem;
import io.idem.IdempotencyKey;
import io.idem.PayloadFingerprint;
import io.idem.Scope;
import io.idem.memory.InMemoryIdempotencyStore;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Diagnostics, not part of the default suite: the steps of {@link ReplayBenchmark#idemReplay} one
 * by one, on the same store and key rotation, to see where the time of a replay goes.
 *
 * <pre>{@code
 * java -jar idem-bench/target/idem-bench.jar --include ReplayPartsBenchmark
 * }</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class ReplayPartsBenchmark {

  @Param("10000")
  public int keys;

  /** An instant before every record's expiry, for the check without a clock read. */
  private static final Instant LONG_AGO = Instant.parse("2000-01-01T00:00:00Z");

  private IdempotencyKey[] plainKeys = new IdempotencyKey[0];
  private @Nullable Idem idem;
  private final ConcurrentHashMap<String, Object> map = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, IdempotencyRecord> records = new ConcurrentHashMap<>();
  private IdempotencyStore store = InMemoryIdempotencyStore.create();
  private final Clock clock = Clock.systemUTC();
  private int next;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    store = InMemoryIdempotencyStore.create();
    Idem idem = Idem.builder(store).noBackgroundPurge().build();
    this.idem = idem;
    plainKeys = new IdempotencyKey[keys];
    for (int i = 0; i < keys; i++) {
      String result = "report-" + i;
      IdempotencyKey key = IdempotencyKey.of("report", Scope.user(i % 100), Map.of("seq", i));
      plainKeys[i] = key;
      idem.once(key, null, () -> result);
      map.put(key.value(), result);
      records.put(key.value(), store.get(key.value()).orElseThrow());
    }
    System.gc(); // compact what the setup left, as ReplayBenchmark does
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (idem != null) {
      idem.close();
    }
  }

  private int nextIndex() {
    int i = next;
    next = i + 1 == keys ? 0 : i + 1;
    return i;
  }

  /** The baseline of {@link ReplayBenchmark}, repeated here for same-run ratios. */
  @Benchmark
  public @Nullable Object chmGet() {
    return map.get(plainKeys[nextIndex()].value());
  }

  /**
   * The same record objects the store holds, read from a plain map and checked for expiry against a
   * fixed instant: the memory cost of a record (record, expiry instant, stored result) without the
   * clock.
   */
  @Benchmark
  public @Nullable Object recordWithoutClock() {
    IdempotencyRecord r = records.get(plainKeys[nextIndex()].value());
    if (r == null || r.isExpiredAt(LONG_AGO) || r.result() == null) {
      return null;
    }
    return r.result().value();
  }

  /** {@link ReplayBenchmark#idemReplay}, repeated here for same-run ratios. */
  @Benchmark
  public @Nullable Object idemReplay() {
    Idem i = idem;
    if (i == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return i.once(plainKeys[nextIndex()], null, ReplayBenchmark.BODY).value();
  }

  /** {@code System.currentTimeMillis()}: a cheaper clock read than an Instant. */
  @Benchmark
  public long clockMillis() {
    return clock.millis();
  }

  /** The store's read alone: a map get, a clock read, the expiry check, an Optional. */
  @Benchmark
  public Optional<IdempotencyRecord> storeGet() {
    return store.get(plainKeys[nextIndex()].value());
  }

  /** The clock read the store makes on every get. */
  @Benchmark
  public Instant clockInstant() {
    return clock.instant();
  }

  /** The fingerprint of a call without payload. */
  @Benchmark
  public String fingerprintOfNull() {
    return PayloadFingerprint.of(null);
  }

  /** {@code idem.inspect(key)}: the store's read through the facade. */
  @Benchmark
  public Optional<IdempotencyRecord> idemInspect() {
    Idem i = idem;
    if (i == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return i.inspect(plainKeys[nextIndex()]);
  }
}
