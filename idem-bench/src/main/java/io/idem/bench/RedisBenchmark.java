package io.idem.bench;

import io.idem.Idem;
import io.idem.IdempotencyKey;
import io.idem.Outcome;
import io.idem.redis.RedisIdempotencyStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
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
 * Idem on Redis against raw Lettuce commands on the same server, through the same client setup: one
 * {@link RedisClient} with the options a Redis store gives its own client (see {@link
 * StoreServers#redisClient}), on which the store opens its one multiplexed connection ({@link
 * RedisIdempotencyStore#builder(RedisClient, RedisURI)}) and the raw side opens one more; every
 * thread shares its side's connection.
 *
 * <ul>
 *   <li><b>Replay</b>: {@link #replayIdem}, {@code idem.once(key, null, body)} on one of {@link
 *       #KEYS} completed keys, against {@link #replayRaw}, a {@code GET} of one of as many string
 *       keys holding the same result text: one round trip each. Idem's is one {@code HGETALL} of
 *       the record, as the store reads first while most of its claims are duplicates (all of them
 *       here, from the first few calls of the warm-up on); a duplicate among mostly new keys is
 *       answered by the claim script instead (one {@code EVALSHA}, also one round trip; {@link
 *       RedisPartsBenchmark} measures both). Idem then builds the record, decides the claim with
 *       {@code RecordTransitions} and decodes the stored JSON with its codec.
 *   <li><b>Claim and complete</b>: {@link #claimCompleteIdem}, {@code idem.once(freshKey, null, ()
 *       -> "ok")} on a new key from a counter (the claim script, then the complete script: two
 *       round trips), against {@link #claimCompleteRaw}, {@code SET k v NX PX lease} then {@code
 *       SET k v2 PX ttl} on a new key: two round trips, the same shape, without the record's
 *       fields, the fencing token or the expiry index the scripts maintain.
 * </ul>
 *
 * <p>Target (issue): each Idem figure at least 0.8 times the throughput of its raw pair, on 1 and
 * on 16 threads. Sixteen threads on a 2-core machine measure how well each side pipelines requests
 * on its one connection rather than CPU parallelism.
 *
 * <p>Run alone:
 *
 * <pre>{@code
 * java -jar idem-bench/target/idem-bench.jar --include RedisBenchmark --warmup 3 --measurement 3
 * }</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RedisBenchmark {

  /** Completed keys of each side for the replay figures. */
  static final int KEYS = 1000;

  /** Lease and TTL the raw side puts on its keys, as Idem's defaults do on its records. */
  static final Duration LEASE = Duration.ofMinutes(5);

  static final Duration TTL = Duration.ofHours(1);

  /** The body of a replay; never runs, as every replayed key is completed. */
  static final java.util.concurrent.Callable<String> BODY =
      () -> {
        throw new AssertionError("a replay ran the body");
      };

  private @Nullable RedisClient client;
  private @Nullable Idem idem;
  private @Nullable StatefulRedisConnection<String, String> raw;
  private IdempotencyKey[] idemKeys = new IdempotencyKey[0];
  private String[] rawKeys = new String[0];
  private String prefix = "";
  private final AtomicLong counter = new AtomicLong();

  /** Each thread's place in the rotation of replayed keys. */
  @State(org.openjdk.jmh.annotations.Scope.Thread)
  public static class Cursor {
    int next;

    int nextIndex() {
      int i = next;
      next = i + 1 == KEYS ? 0 : i + 1;
      return i;
    }
  }

  /** Connects both sides, and completes {@link #KEYS} keys on each. */
  @Setup(Level.Trial)
  public void setup() {
    RedisURI uri = StoreServers.redisUri();
    RedisClient c = StoreServers.redisClient();
    client = c;
    // a prefix of this trial's own, so that runs against one external server do not meet
    prefix = "bench" + ProcessHandle.current().pid() + "x" + System.nanoTime();
    RedisIdempotencyStore store =
        RedisIdempotencyStore.builder(c, uri)
            .prefix(prefix)
            .commandTimeout(StoreServers.REDIS_TIMEOUT)
            .build();
    Idem i = Idem.builder(store).noBackgroundPurge().closeStoreOnClose(true).build();
    idem = i;
    StatefulRedisConnection<String, String> r = c.connect(StringCodec.UTF8, uri);
    r.setTimeout(StoreServers.REDIS_TIMEOUT);
    raw = r;
    idemKeys = new IdempotencyKey[KEYS];
    rawKeys = new String[KEYS];
    for (int k = 0; k < KEYS; k++) {
      String result = "report-" + k;
      idemKeys[k] = IdempotencyKey.readable("replay:" + k);
      i.once(idemKeys[k], null, () -> result);
      rawKeys[k] = prefix + ":raw:replay:" + k;
      r.sync().set(rawKeys[k], "\"" + result + "\"");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (raw != null) {
      raw.close();
      raw = null;
    }
    if (idem != null) {
      idem.close();
      idem = null;
    }
    if (client != null) {
      client.shutdown();
      client = null;
    }
  }

  /** Idem: a replay of a completed key, one thread. */
  @Benchmark
  @Threads(1)
  public @Nullable String replayIdem(Cursor cursor) {
    return replay(cursor);
  }

  /** Raw: a {@code GET} of a string key, one thread. */
  @Benchmark
  @Threads(1)
  public @Nullable String replayRaw(Cursor cursor) {
    return get(cursor);
  }

  /** {@link #replayIdem} on 16 threads sharing the store's connection. */
  @Benchmark
  @Threads(16)
  public @Nullable String replayIdem16Threads(Cursor cursor) {
    return replay(cursor);
  }

  /** {@link #replayRaw} on 16 threads sharing the raw connection. */
  @Benchmark
  @Threads(16)
  public @Nullable String replayRaw16Threads(Cursor cursor) {
    return get(cursor);
  }

  /** Idem: claim and complete a new key, one thread. */
  @Benchmark
  @Threads(1)
  public Outcome<String> claimCompleteIdem() {
    return once();
  }

  /** Raw: {@code SET NX} then {@code SET} of a new key, one thread. */
  @Benchmark
  @Threads(1)
  public boolean claimCompleteRaw() {
    return setNxThenSet();
  }

  /** {@link #claimCompleteIdem} on 16 threads. */
  @Benchmark
  @Threads(16)
  public Outcome<String> claimCompleteIdem16Threads() {
    return once();
  }

  /** {@link #claimCompleteRaw} on 16 threads. */
  @Benchmark
  @Threads(16)
  public boolean claimCompleteRaw16Threads() {
    return setNxThenSet();
  }

  /** {@link #replayIdem} and {@link #replayRaw} alternately, each timed (see {@link Sides}). */
  @Benchmark
  @Threads(1)
  public @Nullable String interleavedReplay(Sides sides, Cursor cursor) throws Exception {
    return sides.next(() -> replay(cursor), () -> get(cursor));
  }

  /** {@link #claimCompleteIdem} and {@link #claimCompleteRaw} alternately, each timed. */
  @Benchmark
  @Threads(1)
  public boolean interleavedClaimComplete(Sides sides) throws Exception {
    return sides.next(() -> once().wasExecuted(), this::setNxThenSet);
  }

  @Nullable String replay(Cursor cursor) {
    return idem().once(idemKeys[cursor.nextIndex()], null, BODY).value();
  }

  @Nullable String get(Cursor cursor) {
    return commands().get(rawKeys[cursor.nextIndex()]);
  }

  Outcome<String> once() {
    return idem().once(IdempotencyKey.readable("fresh:" + counter.incrementAndGet()), null, OK);
  }

  private static final java.util.concurrent.Callable<String> OK = () -> "ok";

  boolean setNxThenSet() {
    String key = prefix + ":raw:fresh:" + counter.incrementAndGet();
    RedisCommands<String, String> redis = commands();
    boolean claimed =
        "OK".equals(redis.set(key, "IN_PROGRESS", SetArgs.Builder.nx().px(LEASE.toMillis())));
    return claimed && "OK".equals(redis.set(key, "\"ok\"", SetArgs.Builder.px(TTL.toMillis())));
  }

  /** The raw side's commands, for tests. */
  RedisCommands<String, String> commands() {
    StatefulRedisConnection<String, String> r = raw;
    if (r == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return r.sync();
  }

  String prefix() {
    return prefix;
  }

  Idem idem() {
    Idem i = idem;
    if (i == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return i;
  }
}
