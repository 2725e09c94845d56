package io.idem.bench;

import io.idem.Idem;
import io.idem.IdemPolicy;
import io.idem.IdempotencyKey;
import io.idem.PayloadFingerprint;
import io.idem.TtlCategories;
import io.idem.redis.RedisIdempotencyStore;
import io.idem.redis.RedisLockStore;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.ClaimStatus;
import io.idem.spi.LockStore;
import io.idem.spi.StoredResult;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.provider.redis.spring.RedisLockProvider;
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
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Diagnostics, not part of the default suite: {@link RedisBenchmark} and {@link
 * LockBenchmark#redisIdem} taken apart on one thread, from the raw baseline to the full call, each
 * step adding one thing. The raw steps run on a second connection of the same Lettuce client
 * (synchronous API); the store steps on the store's own connection.
 *
 * <p>{@link #replaySteps}, a replay of a completed key:
 *
 * <ol>
 *   <li>{@code rawGet}: the baseline, {@code GET} of a string key;
 *   <li>{@code rawHgetall}: {@code HGETALL} of the record hash (what a read before the claim
 *       costs);
 *   <li>{@code rawEvalGet}: {@code EVALSHA} of {@code return redis.call('GET', KEYS[1])}: the cost
 *       of running any script;
 *   <li>{@code rawClaimScript}: {@code EVALSHA} of the store's {@code claim.lua} on the completed
 *       record, with the store's arguments, its reply parsed by Lettuce and nothing more;
 *   <li>{@code storeClaim}: {@code RedisIdempotencyStore.claim}: as every claim here finds its key
 *       completed, the store reads first: one {@code HGETALL}, the record built from it and the
 *       claim decided by {@code RecordTransitions} (no script);
 *   <li>{@code idemReplay}: {@code idem.once(key, null, body)}: plus Idem (the request, the result
 *       decoded by the codec, the outcome).
 * </ol>
 *
 * <p>{@link #claimSteps}, a claim and complete of a new key:
 *
 * <ol>
 *   <li>{@code rawSetNxSet}: the baseline, {@code SET NX PX} + {@code SET PX};
 *   <li>{@code rawEvalSetNxSet}: the same two commands, each in a script of its own ({@code
 *       EVALSHA}): the cost of running scripts;
 *   <li>{@code rawScripts}: {@code EVALSHA} of the store's {@code claim.lua} then {@code
 *       complete.lua}, with the store's arguments;
 *   <li>{@code storeClaimComplete}: {@code store.claim} + {@code store.complete};
 *   <li>{@code idemOnceNoHeartbeat}: {@code idem.once} with heartbeats off;
 *   <li>{@code idemOnce}: {@code idem.once} with the default policy.
 * </ol>
 *
 * <p>{@link #lockSteps}, an uncontended lock acquired and released:
 *
 * <ol>
 *   <li>{@code shedLock}: the baseline, ShedLock's {@code RedisLockProvider} (Spring Data Redis
 *       over Lettuce): {@code lock} + {@code unlock};
 *   <li>{@code rawSetNxDel}: ShedLock's commands on plain Lettuce, {@code SET NX PX} + {@code DEL}:
 *       what Spring and ShedLock add;
 *   <li>{@code rawLockScripts}: {@code EVALSHA} of the store's {@code lock-acquire.lua} then {@code
 *       lock-release.lua};
 *   <li>{@code storeAcquireRelease}: {@code RedisLockStore.tryAcquire} + {@code release(name,
 *       token, ZERO)}.
 * </ol>
 *
 * <p>The steps of a method run in turn in one loop, {@value #BLOCK} calls at a time, each timed, so
 * that they share the machine's load of the moment; {@link RunBenchmarks} reports each as {@code
 * method:<step>} against the method's first step.
 *
 * <pre>{@code
 * java -jar idem-bench/target/idem-bench.jar --include RedisPartsBenchmark
 * }</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
public class RedisPartsBenchmark {

  /** Calls of one step before the next step's turn. */
  static final int BLOCK = 100;

  /** Completed keys for the replay steps, and lock names for the lock steps. */
  static final int KEYS = 1000;

  /** The store's default shard count, to name a record's hash as the store does. */
  static final int SHARDS = RedisIdempotencyStore.DEFAULT_SHARDS;

  static final Duration LEASE = IdemPolicy.DEFAULT_LEASE;
  static final Duration TTL = TtlCategories.DEFAULT_TTL;
  static final Duration LOCK_LEASE = LockBenchmark.LEASE;
  private static final long GRACE = TimeUnit.SECONDS.toMillis(60);
  private static final StoredResult OK = new StoredResult("java.lang.String", "\"ok\"", null);
  private static final IdemPolicy NO_HEARTBEAT = IdemPolicy.builder().noHeartbeat().build();

  private @Nullable RedisClient client;
  private @Nullable RedisIdempotencyStore store;
  private @Nullable Idem idem;
  private @Nullable LockStore locks;
  private @Nullable LettuceConnectionFactory shedLockConnections;
  private @Nullable LockProvider shedLock;
  private @Nullable StatefulRedisConnection<String, String> raw;
  private String prefix = "";
  private IdempotencyKey[] idemKeys = new IdempotencyKey[0];
  private String[] recordKeys = new String[0];
  private String[] stringKeys = new String[0];
  private String[] lockNames = new String[0];
  private String claimSha = "";
  private String completeSha = "";
  private String evalGetSha = "";
  private String evalSetNxSha = "";
  private String evalSetSha = "";
  private String lockAcquireSha = "";
  private String lockReleaseSha = "";
  private final AtomicLong counter = new AtomicLong();

  @Setup(Level.Trial)
  public void setup() {
    RedisURI uri = StoreServers.redisUri();
    RedisClient c = StoreServers.redisClient();
    client = c;
    prefix = "parts" + ProcessHandle.current().pid() + "x" + System.nanoTime();
    RedisIdempotencyStore s =
        RedisIdempotencyStore.builder(c, uri)
            .prefix(prefix)
            .commandTimeout(StoreServers.REDIS_TIMEOUT)
            .build();
    store = s;
    Idem i = Idem.builder(s).noBackgroundPurge().closeStoreOnClose(true).build();
    idem = i;
    locks =
        RedisLockStore.builder(c, uri)
            .prefix(prefix)
            .commandTimeout(StoreServers.REDIS_TIMEOUT)
            .build();
    LettuceConnectionFactory factory =
        new LettuceConnectionFactory(
            new RedisStandaloneConfiguration(uri.getHost(), uri.getPort()));
    factory.afterPropertiesSet();
    factory.start();
    shedLockConnections = factory;
    shedLock = new RedisLockProvider(factory, "bench", prefix + "-shedlock");
    StatefulRedisConnection<String, String> r = c.connect(StringCodec.UTF8, uri);
    r.setTimeout(StoreServers.REDIS_TIMEOUT);
    raw = r;
    RedisCommands<String, String> redis = r.sync();
    claimSha = redis.scriptLoad(script("claim.lua"));
    completeSha = redis.scriptLoad(script("complete.lua"));
    lockAcquireSha = redis.scriptLoad(script("lock-acquire.lua"));
    lockReleaseSha = redis.scriptLoad(script("lock-release.lua"));
    evalGetSha = redis.scriptLoad("return redis.call('GET', KEYS[1])");
    evalSetNxSha =
        redis.scriptLoad("return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])");
    evalSetSha = redis.scriptLoad("return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])");
    idemKeys = new IdempotencyKey[KEYS];
    recordKeys = new String[KEYS];
    stringKeys = new String[KEYS];
    lockNames = new String[KEYS];
    for (int k = 0; k < KEYS; k++) {
      String result = "report-" + k;
      idemKeys[k] = IdempotencyKey.readable("replay:" + k);
      i.once(idemKeys[k], null, () -> result);
      recordKeys[k] = recordKey(idemKeys[k].value());
      if (redis.exists(recordKeys[k]) != 1L) {
        throw new IllegalStateException("no record at " + recordKeys[k]);
      }
      stringKeys[k] = prefix + ":raw:replay:" + k;
      redis.set(stringKeys[k], "\"" + result + "\"");
      lockNames[k] = "job-" + k;
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
      store = null;
    }
    if (locks != null) {
      locks.close();
      locks = null;
    }
    if (shedLockConnections != null) {
      shedLockConnections.destroy();
      shedLockConnections = null;
    }
    if (client != null) {
      client.shutdown();
      client = null;
    }
  }

  /** The hash of a record, named as the store names it ({@code {prefix:N}:r:<key>}). */
  String recordKey(String key) {
    return tag(key) + ":r:" + key;
  }

  private String tag(String key) {
    CRC32 crc = new CRC32();
    crc.update(key.getBytes(StandardCharsets.UTF_8));
    return "{" + prefix + ":" + (crc.getValue() % SHARDS) + "}";
  }

  private static String script(String name) {
    try (InputStream in = RedisIdempotencyStore.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("io/idem/redis/" + name + " is not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- replay ---------------------------------------------------------------------------------

  /** Time and calls of each replay step in an iteration. */
  @State(org.openjdk.jmh.annotations.Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class ReplaySteps {
    public long rawGetNanos;
    public long rawGetCalls;
    public long rawHgetallNanos;
    public long rawHgetallCalls;
    public long rawEvalGetNanos;
    public long rawEvalGetCalls;
    public long rawClaimScriptNanos;
    public long rawClaimScriptCalls;
    public long storeClaimNanos;
    public long storeClaimCalls;
    public long idemReplayNanos;
    public long idemReplayCalls;
    long invocations;
    int next;

    @Setup(Level.Iteration)
    public void reset() {
      rawGetNanos = 0;
      rawGetCalls = 0;
      rawHgetallNanos = 0;
      rawHgetallCalls = 0;
      rawEvalGetNanos = 0;
      rawEvalGetCalls = 0;
      rawClaimScriptNanos = 0;
      rawClaimScriptCalls = 0;
      storeClaimNanos = 0;
      storeClaimCalls = 0;
      idemReplayNanos = 0;
      idemReplayCalls = 0;
    }

    int nextIndex() {
      int i = next;
      next = i + 1 == KEYS ? 0 : i + 1;
      return i;
    }
  }

  /** One call of the replay step whose turn it is, timed. */
  @Benchmark
  public boolean replaySteps(ReplaySteps s) {
    int step = (int) ((s.invocations++ / BLOCK) % 6);
    int k = s.nextIndex();
    long t0 = System.nanoTime();
    boolean ok = replayStep(step, k);
    long elapsed = System.nanoTime() - t0;
    switch (step) {
      case 0 -> {
        s.rawGetNanos += elapsed;
        s.rawGetCalls++;
      }
      case 1 -> {
        s.rawHgetallNanos += elapsed;
        s.rawHgetallCalls++;
      }
      case 2 -> {
        s.rawEvalGetNanos += elapsed;
        s.rawEvalGetCalls++;
      }
      case 3 -> {
        s.rawClaimScriptNanos += elapsed;
        s.rawClaimScriptCalls++;
      }
      case 4 -> {
        s.storeClaimNanos += elapsed;
        s.storeClaimCalls++;
      }
      default -> {
        s.idemReplayNanos += elapsed;
        s.idemReplayCalls++;
      }
    }
    return ok;
  }

  /** Replay step {@code step} (0 to 5, in the order of the class comment) on key {@code k}. */
  boolean replayStep(int step, int k) {
    RedisCommands<String, String> redis = commands();
    return switch (step) {
      case 0 -> redis.get(stringKeys[k]) != null;
      case 1 -> !redis.hgetall(recordKeys[k]).isEmpty();
      case 2 ->
          redis.evalsha(evalGetSha, ScriptOutputType.VALUE, new String[] {stringKeys[k]}) != null;
      case 3 -> {
        List<Object> reply = rawClaim(redis, recordKeys[k], idemKeys[k].value());
        yield "COMPLETED".equals(reply.get(reply.size() - 1));
      }
      case 4 -> store().claim(request(idemKeys[k].value())).status() == ClaimStatus.COMPLETED;
      case 5 -> idem().once(idemKeys[k], null, RedisBenchmark.BODY).value() != null;
      default -> throw new IllegalArgumentException("no step " + step);
    };
  }

  // ---- claim and complete ---------------------------------------------------------------------

  /** Time and calls of each claim-and-complete step in an iteration. */
  @State(org.openjdk.jmh.annotations.Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class ClaimSteps {
    public long rawSetNxSetNanos;
    public long rawSetNxSetCalls;
    public long rawEvalSetNxSetNanos;
    public long rawEvalSetNxSetCalls;
    public long rawScriptsNanos;
    public long rawScriptsCalls;
    public long storeClaimCompleteNanos;
    public long storeClaimCompleteCalls;
    public long idemOnceNoHeartbeatNanos;
    public long idemOnceNoHeartbeatCalls;
    public long idemOnceNanos;
    public long idemOnceCalls;
    long invocations;

    @Setup(Level.Iteration)
    public void reset() {
      rawSetNxSetNanos = 0;
      rawSetNxSetCalls = 0;
      rawEvalSetNxSetNanos = 0;
      rawEvalSetNxSetCalls = 0;
      rawScriptsNanos = 0;
      rawScriptsCalls = 0;
      storeClaimCompleteNanos = 0;
      storeClaimCompleteCalls = 0;
      idemOnceNoHeartbeatNanos = 0;
      idemOnceNoHeartbeatCalls = 0;
      idemOnceNanos = 0;
      idemOnceCalls = 0;
    }
  }

  /** One call of the claim-and-complete step whose turn it is, timed. */
  @Benchmark
  public boolean claimSteps(ClaimSteps s) {
    int step = (int) ((s.invocations++ / BLOCK) % 6);
    long t0 = System.nanoTime();
    boolean ok = claimStep(step);
    long elapsed = System.nanoTime() - t0;
    switch (step) {
      case 0 -> {
        s.rawSetNxSetNanos += elapsed;
        s.rawSetNxSetCalls++;
      }
      case 1 -> {
        s.rawEvalSetNxSetNanos += elapsed;
        s.rawEvalSetNxSetCalls++;
      }
      case 2 -> {
        s.rawScriptsNanos += elapsed;
        s.rawScriptsCalls++;
      }
      case 3 -> {
        s.storeClaimCompleteNanos += elapsed;
        s.storeClaimCompleteCalls++;
      }
      case 4 -> {
        s.idemOnceNoHeartbeatNanos += elapsed;
        s.idemOnceNoHeartbeatCalls++;
      }
      default -> {
        s.idemOnceNanos += elapsed;
        s.idemOnceCalls++;
      }
    }
    return ok;
  }

  /** Claim-and-complete step {@code step} (0 to 5, in the order of the class comment). */
  boolean claimStep(int step) {
    long n = counter.incrementAndGet();
    RedisCommands<String, String> redis = commands();
    switch (step) {
      case 0 -> {
        String key = prefix + ":raw:fresh:" + n;
        return "OK".equals(redis.set(key, "IN_PROGRESS", SetArgs.Builder.nx().px(LEASE.toMillis())))
            && "OK".equals(redis.set(key, "\"ok\"", SetArgs.Builder.px(TTL.toMillis())));
      }
      case 1 -> {
        String[] keys = {prefix + ":raw:fresh:" + n};
        Object claimed =
            redis.evalsha(
                evalSetNxSha,
                ScriptOutputType.STATUS,
                keys,
                "IN_PROGRESS",
                Long.toString(LEASE.toMillis()));
        return "OK".equals(claimed)
            && "OK"
                .equals(
                    redis.evalsha(
                        evalSetSha,
                        ScriptOutputType.STATUS,
                        keys,
                        "\"ok\"",
                        Long.toString(TTL.toMillis())));
      }
      case 2 -> {
        String key = "idem:raw-fresh:" + n;
        String recordKey = recordKey(key);
        return rawComplete(redis, recordKey, key, tokenOf(rawClaim(redis, recordKey, key)));
      }
      case 3 -> {
        String key = "idem:store-fresh:" + n;
        ClaimResult claim = store().claim(request(key));
        return store().complete(key, claim.record().token(), OK, TTL);
      }
      case 4 -> {
        return idem()
            .once(IdempotencyKey.readable("fresh:" + n), null, NO_HEARTBEAT, () -> "ok")
            .wasExecuted();
      }
      case 5 -> {
        return idem().once(IdempotencyKey.readable("fresh:" + n), null, () -> "ok").wasExecuted();
      }
      default -> throw new IllegalArgumentException("no step " + step);
    }
  }

  /** {@code claim.lua} with the store's arguments, on the raw connection: its reply. */
  List<Object> rawClaim(RedisCommands<String, String> redis, String recordKey, String key) {
    long now = System.currentTimeMillis();
    long keep = Math.max(TTL.toMillis(), LEASE.toMillis());
    List<Object> reply =
        redis.evalsha(
            claimSha,
            ScriptOutputType.MULTI,
            new String[] {recordKey, tag(key) + ":seq", tag(key) + ":exp"},
            key,
            PayloadFingerprint.NONE,
            Long.toString(now),
            Long.toString(now + LEASE.toMillis()),
            Long.toString(now + keep),
            Integer.toString(IdemPolicy.DEFAULT_MAX_ATTEMPTS),
            Long.toString(keep + GRACE));
    return reply;
  }

  /** The token in a reply of {@code claim.lua} that claimed: its first element. */
  static String tokenOf(List<Object> reply) {
    if (reply.isEmpty() || !(reply.get(0) instanceof Long)) {
      throw new IllegalStateException("claim.lua did not claim: " + reply);
    }
    return String.valueOf(reply.get(0));
  }

  /** {@code complete.lua} with the store's arguments, on the raw connection. */
  boolean rawComplete(
      RedisCommands<String, String> redis, String recordKey, String key, String token) {
    long now = System.currentTimeMillis();
    Long applied =
        redis.evalsha(
            completeSha,
            ScriptOutputType.INTEGER,
            new String[] {recordKey, tag(key) + ":exp"},
            key,
            token,
            Long.toString(now),
            Long.toString(now + TTL.toMillis()),
            OK.type(),
            OK.encoded(),
            Long.toString(TTL.toMillis() + GRACE));
    return applied != null && applied == 1L;
  }

  // ---- locks ----------------------------------------------------------------------------------

  /** Time and calls of each lock step in an iteration. */
  @State(org.openjdk.jmh.annotations.Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class LockSteps {
    public long shedLockNanos;
    public long shedLockCalls;
    public long rawSetNxDelNanos;
    public long rawSetNxDelCalls;
    public long rawLockScriptsNanos;
    public long rawLockScriptsCalls;
    public long storeAcquireReleaseNanos;
    public long storeAcquireReleaseCalls;
    long invocations;
    int next;

    @Setup(Level.Iteration)
    public void reset() {
      shedLockNanos = 0;
      shedLockCalls = 0;
      rawSetNxDelNanos = 0;
      rawSetNxDelCalls = 0;
      rawLockScriptsNanos = 0;
      rawLockScriptsCalls = 0;
      storeAcquireReleaseNanos = 0;
      storeAcquireReleaseCalls = 0;
    }

    int nextIndex() {
      int i = next;
      next = i + 1 == KEYS ? 0 : i + 1;
      return i;
    }
  }

  /** One call of the lock step whose turn it is, timed. */
  @Benchmark
  public boolean lockSteps(LockSteps s) {
    int step = (int) ((s.invocations++ / BLOCK) % 4);
    int k = s.nextIndex();
    long t0 = System.nanoTime();
    boolean ok = lockStep(step, k);
    long elapsed = System.nanoTime() - t0;
    switch (step) {
      case 0 -> {
        s.shedLockNanos += elapsed;
        s.shedLockCalls++;
      }
      case 1 -> {
        s.rawSetNxDelNanos += elapsed;
        s.rawSetNxDelCalls++;
      }
      case 2 -> {
        s.rawLockScriptsNanos += elapsed;
        s.rawLockScriptsCalls++;
      }
      default -> {
        s.storeAcquireReleaseNanos += elapsed;
        s.storeAcquireReleaseCalls++;
      }
    }
    return ok;
  }

  /** Lock step {@code step} (0 to 3, in the order of the class comment) on name {@code k}. */
  boolean lockStep(int step, int k) {
    String name = lockNames[k];
    RedisCommands<String, String> redis = commands();
    switch (step) {
      case 0 -> {
        return LockBenchmark.lockUnlock(shedLock, name);
      }
      case 1 -> {
        String key = prefix + ":raw-lock:" + name;
        String value = "ADDED:" + System.currentTimeMillis() + "@bench";
        boolean locked =
            "OK".equals(redis.set(key, value, SetArgs.Builder.nx().px(LOCK_LEASE.toMillis())));
        return locked && redis.del(key) == 1L;
      }
      case 2 -> {
        String key = "{" + prefix + ":raw-l:" + name + "}";
        long now = System.currentTimeMillis();
        List<Object> acquired =
            redis.evalsha(
                lockAcquireSha,
                ScriptOutputType.MULTI,
                new String[] {key},
                LockBenchmark.OWNER,
                Long.toString(now),
                Long.toString(now + LOCK_LEASE.toMillis()));
        if (acquired.size() != 1) { // the new token, else the holder
          throw new IllegalStateException("lock-acquire.lua answered " + acquired);
        }
        Long released =
            redis.evalsha(
                lockReleaseSha,
                ScriptOutputType.INTEGER,
                new String[] {key},
                String.valueOf(acquired.get(0)),
                Long.toString(now),
                Long.toString(now));
        return released != null && released == 1L;
      }
      case 3 -> {
        return LockBenchmark.acquireRelease(locks, name);
      }
      default -> throw new IllegalArgumentException("no step " + step);
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static ClaimRequest request(String key) {
    return new ClaimRequest(
        key, PayloadFingerprint.NONE, LEASE, TTL, IdemPolicy.DEFAULT_MAX_ATTEMPTS);
  }

  RedisCommands<String, String> commands() {
    StatefulRedisConnection<String, String> r = raw;
    if (r == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return r.sync();
  }

  RedisIdempotencyStore store() {
    RedisIdempotencyStore s = store;
    if (s == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return s;
  }

  Idem idem() {
    Idem i = idem;
    if (i == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return i;
  }
}
