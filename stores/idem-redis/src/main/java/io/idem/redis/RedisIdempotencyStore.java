package io.idem.redis;

import io.idem.StoreUnavailableException;
import io.idem.internal.Durations;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.ClaimStatus;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.RecordState;
import io.idem.spi.RecordTransitions;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The {@link IdempotencyStore} on Redis (standalone, or a master found through Sentinel; tested on
 * 6.2 and 7.0), through one Lettuce connection. Each step is one Lua script, so it is atomic and
 * answers in one round trip; the scripts give the answers of {@link RecordTransitions}, which the
 * contract suite checks.
 *
 * <pre>{@code
 * IdempotencyStore store = RedisIdempotencyStore.builder("redis://localhost:6379").build();
 * Idem idem = Idem.builder(store).closeStoreOnClose(true).build();
 * }</pre>
 *
 * <p><b>Keys.</b> A key's shard is the CRC32 of its UTF-8 bytes modulo {@link Builder#shards
 * shards}; every Redis key of a shard carries the hash tag {@code {prefix:N}}, so each script
 * touches a single cluster slot:
 *
 * <ul>
 *   <li>{@code {prefix:N}:r:<key>}: the record, a hash with the fields {@code state, fingerprint,
 *       token, attempt, lease_until, expires_at, retry_after, result_type, result, error_type,
 *       error_message, created_at, updated_at} (times in epoch milliseconds of the store's clock; a
 *       null is an absent field);
 *   <li>{@code {prefix:N}:seq}: the shard's fencing-token sequence; it never expires, so a key's
 *       tokens keep growing after its record is deleted or purged;
 *   <li>{@code {prefix:N}:exp}: the shard's expiry index, a sorted set of keys scored by {@code
 *       expires_at}, which {@link #purgeExpired} walks;
 *   <li>{@code {prefix}:layout}: {@code "v1 shards=N"}, written by the first store of a prefix; a
 *       store built with another shard count is refused, because it would look for the same key's
 *       record in another shard and could claim it a second time.
 * </ul>
 *
 * <p><b>Algorithm</b> ("now" is the store clock's epoch milliseconds, passed to every script):
 *
 * <ol>
 *   <li><b>claim</b>: {@code claim.lua}: {@code HMGET} the record's fields; decide like {@link
 *       RecordTransitions#claim} (absent or expired: a fresh claim, attempt 1; FAILED past its
 *       retry time: a re-claim with any payload, attempt + 1, unless the attempts are used up:
 *       EXHAUSTED; another fingerprint: MISMATCH; COMPLETED; FAILED still cached: CACHED_FAILURE;
 *       IN_PROGRESS under a running lease: IN_PROGRESS; lease over: a takeover, attempt + 1, or
 *       EXHAUSTED); when it claims: token = max({@code INCR seq}, old token + 1) (the sequence is
 *       raised to it), {@code HSET} of the new record (after a {@code DEL} of the old one, if any),
 *       {@code PEXPIRE}, {@code ZADD exp}, and it returns the token (with the attempt and creation
 *       time of a re-claim): the store knows the rest. Otherwise it returns the record's values and
 *       the status, so a duplicate gets the stored result in the same round trip.
 *       <p><b>Duplicates read first.</b> While most recent claims of the store were answered
 *       without a change (more than 4 in 5: duplicates of completed keys, conflicts, cached
 *       failures), a claim first reads the record with one plain {@code HGETALL} and decides with
 *       {@link RecordTransitions#claim} itself: an answer that changes nothing is then what the
 *       script would have answered at the moment of the read (one atomic command), and costs Redis
 *       no script; an answer that would claim runs {@code claim.lua}, which decides again
 *       atomically. A stream of mostly new keys never reads first, so it pays no second round trip.
 *   <li><b>complete</b>, <b>fail</b>, <b>extend</b>: {@code complete.lua}, {@code fail.lua}, {@code
 *       extend.lua}: {@code HMGET state token ...}; unless the record is IN_PROGRESS under the
 *       caller's token, return 0 and change nothing; else {@code HDEL} the fields the new state
 *       does not have, {@code HSET} the new ones (as the SQL stores' {@code UPDATE}s do), {@code
 *       PEXPIRE}, {@code ZADD exp}, return 1. The expiry index holds, for each record, a score at
 *       or before the time the record may be purged: {@code complete.lua} moves the score only when
 *       the new expiry is earlier than the claim's (a TTL shorter than the lease), and {@code
 *       purge.lua} gives a member that is not due yet its right score.
 *   <li><b>get</b>: {@code HGETALL} (one command, so atomic); an expired record reads as absent.
 *   <li><b>delete</b>: {@code delete.lua}: {@code DEL} the record, {@code ZREM} it from the index.
 *   <li><b>purgeExpired</b>: {@code ZCOUNT exp -inf now} of every shard (pipelined); the limit is
 *       shared out over the shards with due members; then {@code purge.lua} on those shards
 *       (pipelined): walk the due members, check each record's fields again ({@link
 *       IdempotencyRecord#isExpiredAt}), {@code DEL} + {@code ZREM} the expired ones; members whose
 *       record is already gone are dropped without being counted, and records that are not due get
 *       their right score back.
 * </ol>
 *
 * <p>Scripts are run by {@code EVALSHA} with their SHA-1; on {@code NOSCRIPT} (a restarted or
 * flushed server, or another cluster node) the script is sent with {@code EVAL}, which runs it and
 * caches it again. {@link Builder#build} loads them all once with {@code SCRIPT LOAD}.
 *
 * <p><b>Time.</b> Expiry is logical: scripts and {@link #get} compare the store clock with the
 * record's times. Redis's own expiry is only a safety net so that records nobody purges do not stay
 * forever: a relative {@code PEXPIRE} of (expires_at - now) + {@value #SAFETY_NET_GRACE_SECONDS} s,
 * never an absolute time computed from the store clock (a clock far from Redis's would delete keys
 * at once or never). A holder can therefore still complete after its lease passed (if nobody took
 * over) until its record's expiry plus that grace.
 *
 * <p><b>Failures.</b> Every Lettuce failure (not connected, timed out after {@link
 * Builder#commandTimeout commandTimeout}, a command error such as OOM or READONLY) is thrown as
 * {@link StoreUnavailableException} naming the server and the step ("claim of key K"). Scripts are
 * atomic, so a failure never leaves half a record. A claim whose answer is lost (the connection
 * dropped after Redis ran it, or it timed out and Redis ran it late) holds its key until its lease
 * ends, as a crashed holder would.
 *
 * <p><b>Connection.</b> A store built from a URI owns its {@link RedisClient}: auto-reconnect on,
 * commands rejected while disconnected (so calls fail fast instead of queueing, and commands in
 * flight when the connection drops fail instead of being replayed), a timeout on every command, TCP
 * keep-alive; {@link #close} shuts it down. A store built with {@link #builder(RedisClient,
 * RedisURI)} opens its own connection on that client (the client's options apply; {@link
 * ClientOptions.DisconnectedBehavior#REJECT_COMMANDS} is recommended) and closes only that
 * connection. Run Redis with {@code maxmemory-policy noeviction}: an evicted record or sequence is
 * a lost claim. The key layout is ready for Redis Cluster (one slot per shard), but the store
 * connects with a {@link RedisClient}, not a cluster client.
 *
 * <p>Defaults: prefix {@value #DEFAULT_PREFIX}, {@value #DEFAULT_SHARDS} shards, command timeout 2
 * s, the system UTC clock. Thread-safe: one multiplexed connection serves every thread.
 */
public final class RedisIdempotencyStore implements IdempotencyStore {

  /** The default key prefix. */
  public static final String DEFAULT_PREFIX = RedisStoreBuilder.DEFAULT_PREFIX;

  /** The default number of shards (token sequences, expiry indexes and cluster slots). */
  public static final int DEFAULT_SHARDS = 64;

  /** The most shards: one per Redis Cluster slot. */
  public static final int MAX_SHARDS = 16384;

  /** The default timeout of each Redis command (and of connecting). */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = RedisStoreBuilder.DEFAULT_COMMAND_TIMEOUT;

  /** How long past its logical expiry Redis's own TTL keeps a record, in seconds. */
  public static final long SAFETY_NET_GRACE_SECONDS = 60;

  private static final long GRACE_MILLIS = TimeUnit.SECONDS.toMillis(SAFETY_NET_GRACE_SECONDS);

  /** The longest Redis TTL set (about 100 years), so that huge TTLs do not overflow Redis. */
  private static final long MAX_REDIS_TTL_MILLIS = Duration.ofDays(36_500).toMillis();

  /**
   * {@link #readFirst} from which a claim first reads the record: the claims' recent answers are
   * mostly ones that change nothing (duplicates). Read first, such a claim costs one plain {@code
   * HGETALL} instead of a script; a claim to be made costs the read and the script. With {@link
   * #READ_MISS_WEIGHT} 4, the estimate stays up while more than 4 answers in 5 change nothing.
   */
  static final int READ_FIRST_FROM = 32;

  /** The most {@link #readFirst} counts up to. */
  static final int READ_FIRST_MAX = 64;

  /** How much a claim made counts down {@link #readFirst}, against 1 up for the other answers. */
  static final int READ_MISS_WEIGHT = 4;

  private final RedisKeys keys;
  private final Clock clock;

  /**
   * How much the recent claims' answers changed nothing, from 0 to {@link #READ_FIRST_MAX}: up 1
   * for such an answer, down {@link #READ_MISS_WEIGHT} for a claim made.
   */
  private volatile int readFirst;

  /** Whether every claim reads first, whatever {@link #readFirst} says (for tests). */
  private final boolean alwaysReadFirst;

  private final RedisStoreConnection conn;
  private final RedisAsyncCommands<String, String> redis;

  private RedisIdempotencyStore(
      RedisKeys keys, Clock clock, RedisStoreConnection conn, boolean alwaysReadFirst) {
    this.keys = keys;
    this.clock = clock;
    this.conn = conn;
    this.redis = conn.commands();
    this.alwaysReadFirst = alwaysReadFirst;
  }

  /** A builder for a store on the server at {@code uri}, e.g. {@code redis://localhost:6379}. */
  public static Builder builder(String uri) {
    Objects.requireNonNull(uri, "uri");
    return builder(RedisURI.create(uri));
  }

  /** A builder for a store on the server at {@code uri}, with a client of its own. */
  public static Builder builder(RedisURI uri) {
    return new Builder(null, Objects.requireNonNull(uri, "uri"));
  }

  /**
   * A builder for a store that opens its own connection to {@code uri} on {@code client} (which
   * stays the caller's: the store closes only its connection). The URI is asked for because a
   * {@link RedisClient} does not tell its own, and the store names the server in its errors.
   */
  public static Builder builder(RedisClient client, RedisURI uri) {
    return new Builder(
        Objects.requireNonNull(client, "client"), Objects.requireNonNull(uri, "uri"));
  }

  // ---- the steps ----------------------------------------------------------------------------

  @Override
  public ClaimResult claim(ClaimRequest request) {
    Objects.requireNonNull(request, "request");
    String key = request.key();
    Instant now = now();
    Duration keep = max(request.ttl(), request.lease());
    int shard = keys.shardOf(key);
    String recordKey = keys.recordPrefix(shard) + key;
    if (alwaysReadFirst || readFirst >= READ_FIRST_FROM) {
      ClaimResult answered = answerByReading(request, recordKey, now);
      if (answered != null) {
        countAnswer(answered.status());
        return answered;
      }
    }
    ClaimResult result = runClaim(request, shard, recordKey, now, keep);
    countAnswer(result.status());
    return result;
  }

  /**
   * The answer of a claim that changes nothing (a duplicate, a conflict, a mismatch, a cached
   * failure, attempts used up), read with one plain {@code HGETALL} of the record and decided by
   * {@link RecordTransitions#claim}, the definition {@code claim.lua} follows: what the script
   * would have answered at the moment of the read. Null when the claim is to be made (or the key
   * has no record): the script then decides again, atomically.
   */
  private @Nullable ClaimResult answerByReading(
      ClaimRequest request, String recordKey, Instant now) {
    String key = request.key();
    // HGETALL rather than HMGET of the 13 fields: measured, cheaper for Redis and for the client
    // (one argument to send, no absent fields to answer)
    Map<String, String> fields = conn.call("claim of key ", key, () -> redis.hgetall(recordKey));
    if (fields == null || !fields.containsKey(RecordFields.STATE)) {
      return null;
    }
    IdempotencyRecord existing;
    try {
      existing = RecordFields.toRecord(key, fields, recordKey);
    } catch (IllegalStateException notARecord) {
      return null; // the script decides, and answers as it does for such a hash
    }
    ClaimResult answer = RecordTransitions.claim(existing, request, now, () -> 0L);
    return answer.claimed() ? null : answer;
  }

  /**
   * Counts a claim's answer towards {@link #readFirst}: up for an answer that changed nothing, down
   * four times as much for a claim made. Racy on purpose (an estimate; a lost update is harmless).
   */
  private void countAnswer(ClaimStatus status) {
    int n = readFirst;
    if (status == ClaimStatus.CLAIMED) {
      if (n > 0) {
        readFirst = Math.max(0, n - READ_MISS_WEIGHT);
      }
    } else if (n < READ_FIRST_MAX) {
      readFirst = n + 1;
    }
  }

  /** Whether the next claim reads the record first (for tests). */
  boolean readsFirst() {
    return alwaysReadFirst || readFirst >= READ_FIRST_FROM;
  }

  /** {@code claim.lua}: the claim as one atomic step. */
  private ClaimResult runClaim(
      ClaimRequest request, int shard, String recordKey, Instant now, Duration keep) {
    String key = request.key();
    long nowMillis = now.toEpochMilli();
    long leaseUntil = now.plus(request.lease()).toEpochMilli();
    long expiresAt = now.plus(keep).toEpochMilli();
    List<Object> reply =
        conn.script(
            "claim of key ",
            key,
            RedisScript.CLAIM,
            ScriptOutputType.MULTI,
            new String[] {recordKey, keys.sequence(shard), keys.expiry(shard)},
            key,
            request.fingerprint(),
            Long.toString(nowMillis),
            Long.toString(leaseUntil),
            Long.toString(expiresAt),
            Integer.toString(request.maxAttempts()),
            redisTtl(keep));
    if (reply != null && !reply.isEmpty() && reply.get(0) instanceof Long token) {
      // claimed: the script answers with what the caller does not know
      int attempt = 1;
      Instant createdAt = Instant.ofEpochMilli(nowMillis);
      if (reply.size() == 3) {
        attempt = Math.toIntExact((Long) reply.get(1));
        createdAt = Instant.ofEpochMilli(Long.parseLong(String.valueOf(reply.get(2))));
      } else if (reply.size() != 1) {
        throw new IllegalStateException("claim.lua answered " + reply + " for " + recordKey);
      }
      return new ClaimResult(
          ClaimStatus.CLAIMED,
          new IdempotencyRecord(
              key,
              RecordState.IN_PROGRESS,
              request.fingerprint(),
              token,
              attempt,
              Instant.ofEpochMilli(leaseUntil),
              Instant.ofEpochMilli(expiresAt),
              null,
              null,
              null,
              createdAt,
              Instant.ofEpochMilli(nowMillis)));
    }
    int fields = RecordFields.ORDER.size();
    if (reply == null || reply.size() != fields + 1) {
      throw new IllegalStateException("claim.lua answered " + reply + " for " + recordKey);
    }
    ClaimStatus status = ClaimStatus.valueOf(String.valueOf(reply.get(fields)));
    return new ClaimResult(status, RecordFields.toRecord(key, reply, recordKey));
  }

  @Override
  public boolean complete(String key, long token, StoredResult result, Duration ttl) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(result, "result");
    Durations.requirePositive("ttl", ttl);
    Instant now = now();
    return fenced(
        "complete of key ",
        RedisScript.COMPLETE,
        key,
        Long.toString(token),
        millis(now),
        millis(now.plus(ttl)),
        result.type(),
        result.encoded(),
        redisTtl(ttl));
  }

  @Override
  public boolean fail(
      String key, long token, @Nullable StoredError error, Duration retryAfter, Duration ttl) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(retryAfter, "retryAfter");
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative, but was " + retryAfter);
    }
    Durations.requirePositive("ttl", ttl);
    Instant now = now();
    Duration keep = max(ttl, retryAfter);
    String message = error == null ? null : error.message();
    return fenced(
        "fail of key ",
        RedisScript.FAIL,
        key,
        Long.toString(token),
        millis(now),
        millis(now.plus(keep)),
        millis(now.plus(retryAfter)),
        redisTtl(keep),
        error == null ? "0" : "1",
        error == null ? "" : error.type(),
        message == null ? "0" : "1",
        message == null ? "" : message);
  }

  @Override
  public boolean extend(String key, long token, Duration lease) {
    Objects.requireNonNull(key, "key");
    Durations.requirePositive("lease", lease);
    Instant now = now();
    return fenced(
        "extend of key ",
        RedisScript.EXTEND,
        key,
        Long.toString(token),
        millis(now),
        millis(now.plus(lease)),
        Long.toString(GRACE_MILLIS));
  }

  /**
   * Runs a fenced step's script ({@code complete}, {@code fail}, {@code extend}) on the key's
   * record and shard expiry index; true when the script applied it (the token held the key).
   */
  private boolean fenced(String what, RedisScript step, String key, String... args) {
    int shard = keys.shardOf(key);
    String[] all = new String[args.length + 1];
    all[0] = key;
    System.arraycopy(args, 0, all, 1, args.length);
    Long applied =
        conn.script(
            what,
            key,
            step,
            ScriptOutputType.INTEGER,
            new String[] {keys.recordPrefix(shard) + key, keys.expiry(shard)},
            all);
    return applied != null && applied == 1L;
  }

  @Override
  public Optional<IdempotencyRecord> get(String key) {
    Objects.requireNonNull(key, "key");
    Instant now = now();
    String recordKey = keys.record(key);
    Map<String, String> fields = await("get of key " + key, () -> redis.hgetall(recordKey));
    if (fields == null || fields.isEmpty()) {
      return Optional.empty();
    }
    IdempotencyRecord r = RecordFields.toRecord(key, fields, recordKey);
    return r.isExpiredAt(now) ? Optional.empty() : Optional.of(r);
  }

  @Override
  public boolean delete(String key) {
    Objects.requireNonNull(key, "key");
    int shard = keys.shardOf(key);
    Long deleted =
        script(
            "delete of key " + key,
            RedisScript.DELETE,
            ScriptOutputType.INTEGER,
            new String[] {keys.recordPrefix(shard) + key, keys.expiry(shard)},
            key);
    return deleted != null && deleted == 1L;
  }

  @Override
  public int purgeExpired(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive, but was " + limit);
    }
    String op = "purge of expired records";
    long now = now().toEpochMilli();
    long deadline = System.nanoTime() + conn.commandTimeout().toNanos();
    int shards = keys.shards();
    Range<Long> due = Range.from(Range.Boundary.unbounded(), Range.Boundary.including(now));
    List<CompletableFuture<Long>> counts = new ArrayList<>(shards);
    for (int s = 0; s < shards; s++) {
      String expiry = keys.expiry(s);
      counts.add(RedisStoreConnection.start(() -> redis.zcount(expiry, due)));
    }
    int remaining = limit;
    List<CompletableFuture<Long>> purges = new ArrayList<>();
    for (int s = 0; s < shards; s++) {
      Long count = conn.awaitUntil(op, counts.get(s), deadline);
      if (remaining == 0 || count == null || count == 0) {
        continue;
      }
      int share = (int) Math.min(count, remaining);
      remaining -= share;
      String[] scriptKeys = {keys.expiry(s)};
      String recordPrefix = keys.recordPrefix(s);
      purges.add(
          RedisStoreConnection.start(
              () ->
                  conn.eval(
                      RedisScript.PURGE,
                      ScriptOutputType.INTEGER,
                      scriptKeys,
                      Long.toString(now),
                      Integer.toString(share),
                      recordPrefix)));
    }
    deadline = System.nanoTime() + conn.commandTimeout().toNanos();
    int deleted = 0;
    for (CompletableFuture<Long> purge : purges) {
      Long n = conn.awaitUntil(op, purge, deadline);
      deleted += n == null ? 0 : n.intValue();
    }
    return deleted;
  }

  /** False: a claim answers with the record in the same round trip. */
  @Override
  public boolean readBeforeClaim() {
    return false;
  }

  /** Closes the store's connection, and shuts down its client when the store made it. */
  @Override
  public void close() {
    conn.close();
  }

  @Override
  public String toString() {
    return "RedisIdempotencyStore["
        + conn.server()
        + ", prefix="
        + keys.prefix()
        + ", shards="
        + keys.shards()
        + "]";
  }

  // ---- running commands ---------------------------------------------------------------------

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  /** Runs {@code script} and waits for its answer. */
  private <T> T script(
      String op, RedisScript script, ScriptOutputType type, String[] scriptKeys, String... args) {
    return conn.script(op, script, type, scriptKeys, args);
  }

  private <T> T await(String op, Supplier<? extends CompletionStage<T>> command) {
    return conn.call(op, command);
  }

  private static String millis(Instant t) {
    return Long.toString(t.toEpochMilli());
  }

  /** The safety-net TTL of a record kept for {@code keep}: keep + grace, in milliseconds. */
  private static String redisTtl(Duration keep) {
    long ms;
    try {
      ms = Math.addExact(keep.toMillis(), GRACE_MILLIS);
    } catch (ArithmeticException e) {
      ms = MAX_REDIS_TTL_MILLIS;
    }
    return Long.toString(Math.min(ms, MAX_REDIS_TTL_MILLIS));
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  // ---- building -----------------------------------------------------------------------------

  /**
   * Builds a {@link RedisIdempotencyStore}: the settings of {@link RedisStoreBuilder}, and the
   * number of shards. Not thread-safe.
   */
  public static final class Builder extends RedisStoreBuilder<Builder, RedisIdempotencyStore> {
    private int shards = DEFAULT_SHARDS;
    private boolean alwaysReadFirst;

    private Builder(@Nullable RedisClient client, RedisURI uri) {
      super(client, uri);
    }

    /**
     * How many shards the keys are spread over: each has its own token sequence, expiry index and
     * hash tag (so, in a cluster, its own slot). Default {@value
     * RedisIdempotencyStore#DEFAULT_SHARDS}; 1 to {@value RedisIdempotencyStore#MAX_SHARDS}. Every
     * store of one prefix must use the same number: the first store writes it to {@code
     * {prefix}:layout}, and a store built with another is refused.
     */
    public Builder shards(int shards) {
      if (shards < 1 || shards > MAX_SHARDS) {
        throw new IllegalArgumentException(
            "shards must be between 1 and " + MAX_SHARDS + ", but was " + shards);
      }
      this.shards = shards;
      return this;
    }

    /**
     * Makes every claim read the record first, not only while most claims are duplicates: for tests
     * of that path.
     */
    Builder alwaysReadFirst() {
      this.alwaysReadFirst = true;
      return this;
    }

    /**
     * Connects, checks (or writes) the prefix's layout and loads the scripts.
     *
     * @throws StoreUnavailableException when Redis cannot be reached
     * @throws IllegalStateException when the prefix is laid out with another shard count
     */
    @Override
    public RedisIdempotencyStore build() {
      RedisKeys keys = new RedisKeys(prefix, shards);
      RedisStoreConnection conn = open();
      RedisIdempotencyStore store = new RedisIdempotencyStore(keys, clock, conn, alwaysReadFirst);
      try {
        store.checkLayout();
        conn.loadScripts(RedisScript.RECORD_STEPS);
      } catch (RuntimeException e) {
        store.close();
        throw e;
      }
      return store;
    }
  }

  /** Writes the layout of this prefix when it has none; refuses another shard count. */
  private void checkLayout() {
    String op = "layout check of " + keys.layout();
    String expected = keys.layoutValue();
    Boolean written = await(op, () -> redis.setnx(keys.layout(), expected));
    if (Boolean.TRUE.equals(written)) {
      return;
    }
    String found = await(op, () -> redis.get(keys.layout()));
    if (found != null && !found.equals(expected)) {
      throw new IllegalStateException(
          "Redis at "
              + conn.server()
              + " holds prefix \""
              + keys.prefix()
              + "\" laid out as \""
              + found
              + "\", but this store was built with shards="
              + keys.shards()
              + ": build it with the same shards, or use another prefix (deleting "
              + keys.layout()
              + " lets the new count in, and makes the records written before unreachable)");
    }
  }
}
