package io.idem.bench;

import io.idem.Idem;
import io.idem.IdempotencyKey;
import io.idem.Outcome;
import io.idem.Scope;
import io.idem.memory.InMemoryIdempotencyStore;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
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
 * The duplicate path: {@code idem.once(key, null, body)} on a key that already completed, on an
 * in-memory store ({@link #idemReplay}), against the floor of any lookup, a raw {@code
 * ConcurrentHashMap<String, Object>.get(key.value())} ({@link #chmGet}). Both hold {@link #keys}
 * entries under the same keys, built in the setup, and every invocation of either method takes the
 * next key of the same rotation. {@link #idemReplayWithPayload} replays calls made with a
 * five-field payload, whose fingerprint is computed on every call (reported, no target).
 *
 * <p>Target: {@link #idemReplay} at most 5 times the time of {@link #chmGet}.
 *
 * <p>Run alone:
 *
 * <pre>{@code
 * java -jar idem-bench/target/idem-bench.jar --include ReplayBenchmark
 * }</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class ReplayBenchmark {

  /** The body of every call; never runs during the measurement, as every key is completed. */
  static final Callable<String> BODY =
      () -> {
        throw new AssertionError("a replay ran the body");
      };

  /** How many completed keys each side holds. */
  @Param("10000")
  public int keys;

  private IdempotencyKey[] plainKeys = new IdempotencyKey[0];
  private IdempotencyKey[] payloadKeys = new IdempotencyKey[0];
  private Map<?, ?>[] payloads = new Map<?, ?>[0];
  private @Nullable Idem idem;
  private final ConcurrentHashMap<String, Object> map = new ConcurrentHashMap<>();
  private int next;

  /** Completes {@link #keys} calls without payload and as many with one, and fills the map. */
  @Setup(Level.Trial)
  public void setup() throws Exception {
    Idem idem = Idem.builder(InMemoryIdempotencyStore.create()).noBackgroundPurge().build();
    this.idem = idem;
    plainKeys = new IdempotencyKey[keys];
    payloadKeys = new IdempotencyKey[keys];
    payloads = new Map<?, ?>[keys];
    for (int i = 0; i < keys; i++) {
      String result = "report-" + i;
      IdempotencyKey key = IdempotencyKey.of("report", Scope.user(i % 100), Map.of("seq", i));
      plainKeys[i] = key;
      idem.once(key, null, () -> result);
      map.put(key.value(), result);

      Map<String, Object> payload = payload(i);
      IdempotencyKey payloadKey = IdempotencyKey.of("report", Scope.user(i % 100), payload);
      payloadKeys[i] = payloadKey;
      payloads[i] = payload;
      idem.once(payloadKey, payload, () -> result);
    }
    next = 0;
    // Compact what the setup left behind (20,000 claims' garbage around the live records), so that
    // the measurement does not depend on when the first young collection happens to run.
    System.gc();
  }

  static Map<String, Object> payload(int i) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "monthly-sales");
    m.put("userId", (long) i);
    m.put("from", LocalDate.of(2025, 10, 1));
    m.put("includeDrafts", false);
    m.put("limit", 500);
    return m;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (idem != null) {
      idem.close();
      idem = null;
    }
    map.clear();
  }

  /** The next index of the rotation shared by every method. */
  private int nextIndex() {
    int i = next;
    next = i + 1 == keys ? 0 : i + 1;
    return i;
  }

  /** Idem's replay of a completed call made without payload. */
  @Benchmark
  public @Nullable Object idemReplay() {
    Outcome<String> o = idem().once(plainKeys[nextIndex()], null, BODY);
    return o.value();
  }

  /** The baseline: one lookup in a map of the same size, under the same key text. */
  @Benchmark
  public @Nullable Object chmGet() {
    return map.get(plainKeys[nextIndex()].value());
  }

  /** Idem's replay of a completed call made with a five-field payload (fingerprint per call). */
  @Benchmark
  public @Nullable Object idemReplayWithPayload() {
    int i = nextIndex();
    Outcome<String> o = idem().once(payloadKeys[i], payloads[i], BODY);
    return o.value();
  }

  private Idem idem() {
    Idem i = idem;
    if (i == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return i;
  }
}
