package io.idem.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.StoreUnavailableException;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.ClaimStatus;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.RecordState;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import io.idem.testkit.SettableClock;
import io.idem.testkit.servers.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The scripts, the key layout and the builder of {@link RedisIdempotencyStore}. */
class RedisScriptsAndKeysTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration TTL = Duration.ofHours(1);
  private static final String FP = "fp";

  private final List<String> prefixes = new ArrayList<>();
  private final List<RedisIdempotencyStore> stores = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    stores.forEach(RedisIdempotencyStore::close);
    prefixes.forEach(RedisTesting::deleteKeysOf);
  }

  private RedisIdempotencyStore.Builder builder(String what) {
    String prefix = RedisTesting.uniquePrefix(what);
    prefixes.add(prefix);
    return RedisIdempotencyStore.builder(RedisTesting.server().uri()).prefix(prefix);
  }

  private RedisIdempotencyStore open(RedisIdempotencyStore.Builder builder) {
    RedisIdempotencyStore store = builder.build();
    stores.add(store);
    return store;
  }

  private static ClaimRequest request(String key) {
    return new ClaimRequest(key, FP, LEASE, TTL, Integer.MAX_VALUE);
  }

  private static RedisCommands<String, String> redis() {
    return RedisTesting.admin();
  }

  // ---- scripts ------------------------------------------------------------------------------

  @Test
  void everyStepStillWorksAfterScriptFlushBecauseNoscriptFallsBackToEval() {
    SettableClock clock = SettableClock.create();
    RedisIdempotencyStore store = open(builder("noscript").clock(clock));
    String key = "k:" + UUID.randomUUID();
    long token = store.claim(request(key)).record().token();

    redis().scriptFlush();
    assertThat(redis().scriptExists(RedisScript.EXTEND.sha())).containsExactly(false);

    assertThat(store.extend(key, token, LEASE)).isTrue();
    assertThat(store.complete(key, token, new StoredResult("T", "\"done\"", null), TTL)).isTrue();
    assertThat(store.claim(request(key)).status()).isEqualTo(ClaimStatus.COMPLETED);
    String other = "k:" + UUID.randomUUID();
    long otherToken = store.claim(request(other)).record().token();
    assertThat(store.fail(other, otherToken, new StoredError("E", "m"), Duration.ZERO, TTL))
        .isTrue();
    clock.advance(TTL);
    assertThat(store.purgeExpired(10)).isEqualTo(2);
    assertThat(store.claim(request(key)).claimed()).isTrue();
    assertThat(store.delete(key)).isTrue();

    for (RedisScript script : RedisScript.RECORD_STEPS) {
      assertThat(redis().scriptExists(script.sha())).as(script.resource()).containsExactly(true);
    }
  }

  @Test
  void theDigestsAreThoseRedisGivesTheScripts() {
    for (RedisScript script : RedisScript.values()) {
      assertThat(redis().scriptLoad(script.body())).as(script.resource()).isEqualTo(script.sha());
    }
  }

  // ---- keys ---------------------------------------------------------------------------------

  @Test
  void theKeysOfOneRecordShareOneSlotWhateverTheKey() {
    List<String> samples = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      samples.add("ns:scope:" + UUID.randomUUID());
    }
    samples.add("{braces}:in:{the}:key");
    samples.add("}{");
    samples.add("ключ:日本語:🎉");
    samples.add("x".repeat(512));
    samples.add("");
    for (int shards : new int[] {1, 7, 64, 16384}) {
      RedisKeys keys = new RedisKeys("app:idem", shards);
      Set<Integer> shardsUsed = new HashSet<>();
      for (String key : samples) {
        int shard = keys.shardOf(key);
        shardsUsed.add(shard);
        assertThat(shard).isBetween(0, shards - 1);
        int slot = SlotHash.getSlot(keys.record(key));
        assertThat(SlotHash.getSlot(keys.sequence(shard))).as(key).isEqualTo(slot);
        assertThat(SlotHash.getSlot(keys.expiry(shard))).as(key).isEqualTo(slot);
        assertThat(slot).isEqualTo(SlotHash.getSlot("app:idem:" + shard));
      }
      assertThat(shardsUsed.size()).isGreaterThan(Math.min(shards, 500) / 2);
    }
  }

  @Test
  void aClaimWritesTheRecordItsIndexEntryAndItsSequenceUnderOneHashTag() {
    SettableClock clock = SettableClock.create();
    RedisIdempotencyStore.Builder b = builder("layout").clock(clock).shards(16);
    RedisIdempotencyStore store = open(b);
    String prefix = prefixes.get(0);
    RedisKeys keys = new RedisKeys(prefix, 16);
    String key = "order:{42}:ünïcode";
    IdempotencyRecord claimed = store.claim(request(key)).record();
    int shard = keys.shardOf(key);

    assertThat(redis().hget(keys.record(key), "state")).isEqualTo("IN_PROGRESS");
    assertThat(redis().hget(keys.record(key), "token")).isEqualTo(Long.toString(claimed.token()));
    assertThat(redis().zscore(keys.expiry(shard), key))
        .isEqualTo((double) claimed.expiresAt().toEpochMilli());
    assertThat(redis().get(keys.sequence(shard))).isEqualTo(Long.toString(claimed.token()));
    assertThat(redis().get(keys.layout())).isEqualTo("v1 shards=16");
    assertThat(RedisTesting.keysOf(prefix))
        .containsExactlyInAnyOrder(
            keys.record(key), keys.expiry(shard), keys.sequence(shard), keys.layout());
  }

  @Test
  void claimsReadFirstWhileMostAnswersAreDuplicatesAndStopWhenClaimsAreMade() {
    RedisIdempotencyStore store = open(builder("readfirst"));
    String done = "k:" + UUID.randomUUID();
    long token = store.claim(request(done)).record().token();
    store.complete(done, token, new StoredResult("T", "\"done\"", null), TTL);
    assertThat(store.readsFirst()).isFalse();

    for (int i = 0; i < RedisIdempotencyStore.READ_FIRST_FROM; i++) {
      assertThat(store.claim(request(done)).status()).isEqualTo(ClaimStatus.COMPLETED);
    }
    assertThat(store.readsFirst()).isTrue();
    // answered by the read: the same answer, the same record
    ClaimResult replay = store.claim(request(done));
    assertThat(replay.status()).isEqualTo(ClaimStatus.COMPLETED);
    assertThat(replay.record()).isEqualTo(store.get(done).orElseThrow());
    // one claim made in five keeps reading first; more turns it off
    for (int i = 0; i < 40; i++) {
      ClaimResult r = store.claim(request(i % 5 == 0 ? "k:" + UUID.randomUUID() : done));
      assertThat(r.status()).isIn(ClaimStatus.CLAIMED, ClaimStatus.COMPLETED);
      assertThat(r.claimed()).isEqualTo(i % 5 == 0);
    }
    assertThat(store.readsFirst()).isTrue();
    for (int i = 0; i < 40; i++) {
      assertThat(store.claim(request("k:" + UUID.randomUUID())).claimed()).isTrue();
    }
    assertThat(store.readsFirst()).isFalse();
  }

  @Test
  void resultsAreStoredAsUtf8() {
    RedisIdempotencyStore store = open(builder("utf8"));
    String key = "k:" + UUID.randomUUID();
    long token = store.claim(request(key)).record().token();
    String json = "\"naïve café — 你好 🎉\"";

    store.complete(key, token, new StoredResult("java.lang.String", json, null), TTL);

    String recordKey = new RedisKeys(prefixes.get(0), 64).record(key);
    assertThat(redis().hstrlen(recordKey, "result"))
        .isEqualTo(json.getBytes(StandardCharsets.UTF_8).length);
    assertThat(store.get(key).orElseThrow().result().encoded()).isEqualTo(json);
  }

  // ---- time ---------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"1990-01-01T00:00:00Z", "2150-06-01T12:00:00Z"})
  void redisExpiryIsRelativeSoAClockFarFromRealTimeKeepsRecordsForTheirTtl(String start) {
    SettableClock clock = SettableClock.at(Instant.parse(start));
    RedisIdempotencyStore store = open(builder("clock").clock(clock));
    RedisKeys keys = new RedisKeys(prefixes.get(0), 64);
    String key = "k:" + UUID.randomUUID();
    long token = store.claim(request(key)).record().token();
    long grace = RedisIdempotencyStore.SAFETY_NET_GRACE_SECONDS * 1000;

    assertThat(redis().pttl(keys.record(key))).isBetween(TTL.toMillis(), TTL.toMillis() + grace);

    Duration shortTtl = Duration.ofMinutes(2);
    store.complete(key, token, new StoredResult("T", "1", null), shortTtl);
    assertThat(redis().pttl(keys.record(key)))
        .isBetween(shortTtl.toMillis(), shortTtl.toMillis() + grace);
    assertThat(store.get(key)).isPresent();
  }

  @Test
  void extendKeepsRedisExpiryBeyondTheLease() {
    SettableClock clock = SettableClock.create();
    RedisIdempotencyStore store = open(builder("extend").clock(clock));
    RedisKeys keys = new RedisKeys(prefixes.get(0), 64);
    String key = "k:" + UUID.randomUUID();
    Duration ttl = Duration.ofSeconds(40);
    long token =
        store.claim(new ClaimRequest(key, FP, LEASE, ttl, 10)).record().token(); // keep 40 s
    Duration lease = Duration.ofHours(2);

    assertThat(store.extend(key, token, lease)).isTrue();

    IdempotencyRecord r = store.get(key).orElseThrow();
    assertThat(r.expiresAt()).isEqualTo(clock.instant().plus(lease));
    assertThat(redis().pttl(keys.record(key))).isGreaterThan(lease.toMillis());
    assertThat(redis().zscore(keys.expiry(keys.shardOf(key)), key))
        .isEqualTo((double) r.expiresAt().toEpochMilli());
  }

  // ---- purge --------------------------------------------------------------------------------

  @Test
  void purgeDropsIndexEntriesOfVanishedRecordsWithoutCountingThem() {
    SettableClock clock = SettableClock.create();
    RedisIdempotencyStore store = open(builder("vanished").clock(clock));
    RedisKeys keys = new RedisKeys(prefixes.get(0), 64);
    String gone = "k:" + UUID.randomUUID();
    String expired = "k:" + UUID.randomUUID();
    for (String key : List.of(gone, expired)) {
      long token = store.claim(request(key)).record().token();
      store.complete(key, token, new StoredResult("T", "1", null), Duration.ofMinutes(1));
    }
    redis().del(keys.record(gone)); // as Redis's own TTL would
    clock.advance(Duration.ofMinutes(1));

    assertThat(store.purgeExpired(10)).isEqualTo(1);

    assertThat(redis().zscore(keys.expiry(keys.shardOf(gone)), gone)).isNull();
    assertThat(redis().zscore(keys.expiry(keys.shardOf(expired)), expired)).isNull();
    assertThat(redis().exists(keys.record(expired))).isZero();
  }

  @Test
  void purgeChecksTheRecordAgainAndKeepsOneThatIsNotExpired() {
    SettableClock clock = SettableClock.create();
    RedisIdempotencyStore store = open(builder("recheck").clock(clock));
    RedisKeys keys = new RedisKeys(prefixes.get(0), 64);
    String key = "k:" + UUID.randomUUID();
    IdempotencyRecord claimed = store.claim(request(key)).record();
    String index = keys.expiry(keys.shardOf(key));
    redis().zadd(index, 0, key); // an index entry that says "due long ago"

    assertThat(store.purgeExpired(10)).isZero();

    assertThat(store.get(key)).contains(claimed);
    assertThat(redis().zscore(index, key)).isEqualTo((double) claimed.expiresAt().toEpochMilli());
  }

  @Test
  void aCompletionLaterThanTheClaimKeepsTheClaimsEarlierScoreAndIsPurgedAtItsOwnExpiry() {
    SettableClock clock = SettableClock.create();
    RedisIdempotencyStore store = open(builder("later").clock(clock));
    RedisKeys keys = new RedisKeys(prefixes.get(0), 64);
    String key = "k:" + UUID.randomUUID();
    String index = keys.expiry(keys.shardOf(key));
    IdempotencyRecord claimed = store.claim(request(key)).record(); // score: claim + TTL
    clock.advance(Duration.ofMinutes(10));
    store.complete(key, claimed.token(), new StoredResult("T", "1", null), TTL);
    IdempotencyRecord completed = store.get(key).orElseThrow();
    assertThat(completed.expiresAt()).isEqualTo(claimed.expiresAt().plus(Duration.ofMinutes(10)));
    // the completion did not move the index entry: it is early, which purge corrects
    assertThat(redis().zscore(index, key)).isEqualTo((double) claimed.expiresAt().toEpochMilli());

    clock.set(claimed.expiresAt());
    assertThat(store.purgeExpired(10)).isZero();
    assertThat(store.get(key)).contains(completed);
    assertThat(redis().zscore(index, key)).isEqualTo((double) completed.expiresAt().toEpochMilli());

    clock.set(completed.expiresAt());
    assertThat(store.purgeExpired(10)).isEqualTo(1);
    assertThat(redis().exists(keys.record(key))).isZero();
    assertThat(redis().zscore(index, key)).isNull();
  }

  @Test
  void aCompletionWithATtlShorterThanTheLeaseMovesTheScoreEarlier() {
    SettableClock clock = SettableClock.create();
    RedisIdempotencyStore store = open(builder("shorter").clock(clock));
    RedisKeys keys = new RedisKeys(prefixes.get(0), 64);
    String key = "k:" + UUID.randomUUID();
    String index = keys.expiry(keys.shardOf(key));
    Duration ttl = Duration.ofSeconds(5); // the claim keeps the record for the lease, 30 s
    long token = store.claim(new ClaimRequest(key, FP, LEASE, ttl, 10)).record().token();
    assertThat(redis().zscore(index, key))
        .isEqualTo((double) clock.instant().plus(LEASE).toEpochMilli());

    store.complete(key, token, new StoredResult("T", "1", null), ttl);

    long expiresAt = clock.instant().plus(ttl).toEpochMilli();
    assertThat(store.get(key).orElseThrow().expiresAt().toEpochMilli()).isEqualTo(expiresAt);
    assertThat(redis().zscore(index, key)).isEqualTo((double) expiresAt);
    clock.advance(ttl);
    assertThat(store.purgeExpired(10)).isEqualTo(1);
  }

  @Test
  void aHashWithoutAStateIsReplacedWholeByAClaim() {
    RedisIdempotencyStore store = open(builder("stray"));
    RedisKeys keys = new RedisKeys(prefixes.get(0), 64);
    String key = "k:" + UUID.randomUUID();
    redis().hset(keys.record(key), java.util.Map.of("result", "stale", "error_type", "E"));

    IdempotencyRecord claimed = store.claim(request(key)).record();

    assertThat(store.get(key)).contains(claimed);
    assertThat(redis().hexists(keys.record(key), "result")).isFalse();
    assertThat(redis().hexists(keys.record(key), "error_type")).isFalse();
  }

  @Test
  void purgeSharesItsLimitOverTheShards() {
    SettableClock clock = SettableClock.create();
    RedisIdempotencyStore store = open(builder("share").clock(clock).shards(4));
    for (int i = 0; i < 40; i++) {
      String key = "k:" + i;
      long token = store.claim(request(key)).record().token();
      store.fail(key, token, null, Duration.ZERO, Duration.ofSeconds(1));
    }
    clock.advance(Duration.ofSeconds(1));

    assertThat(store.purgeExpired(25)).isEqualTo(25);
    assertThat(store.purgeExpired(25)).isEqualTo(15);
    assertThat(store.purgeExpired(25)).isZero();
  }

  // ---- building -----------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"", "a{b", "a}b", "has space", "tab\there", "new\nline"})
  void aBadPrefixIsRefusedNamingIt(String prefix) {
    assertThatThrownBy(() -> RedisIdempotencyStore.builder("redis://localhost").prefix(prefix))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prefix")
        .hasMessageContaining("\"" + prefix + "\"");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 16385, Integer.MAX_VALUE})
  void aBadShardCountIsRefusedNamingIt(int shards) {
    assertThatThrownBy(() -> RedisIdempotencyStore.builder("redis://localhost").shards(shards))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shards must be between 1 and 16384, but was " + shards);
  }

  @Test
  void aNonPositiveCommandTimeoutIsRefusedNamingIt() {
    assertThatThrownBy(
            () -> RedisIdempotencyStore.builder("redis://localhost").commandTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("commandTimeout must be positive, but was PT0S");
  }

  @Test
  void aStoreWithAnotherShardCountForTheSamePrefixIsRefused() {
    RedisIdempotencyStore.Builder first = builder("shards").shards(8);
    open(first);
    String prefix = prefixes.get(0);

    assertThatThrownBy(
            () ->
                RedisIdempotencyStore.builder(RedisTesting.server().uri())
                    .prefix(prefix)
                    .shards(16)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("\"v1 shards=8\"")
        .hasMessageContaining("shards=16")
        .hasMessageContaining(RedisTesting.server().hostPort());
    open(RedisIdempotencyStore.builder(RedisTesting.server().uri()).prefix(prefix).shards(8));
  }

  @Test
  void anUnreachableServerFailsTheBuildNamingIt() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String uri = "redis://127.0.0.1:" + port;

    assertThatThrownBy(
            () -> RedisIdempotencyStore.builder(uri).commandTimeout(Duration.ofMillis(500)).build())
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageContaining("connect");
  }

  @Test
  void closingAStoreOnTheCallersClientLeavesTheClientUsable() {
    RedisClient client = RedisTesting.client();
    String prefix = RedisTesting.uniquePrefix("shared");
    prefixes.add(prefix);
    RedisIdempotencyStore store =
        RedisIdempotencyStore.builder(client, RedisTesting.uri()).prefix(prefix).build();
    store.claim(request("k"));
    store.close();

    assertThatThrownBy(() -> store.get("k"))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("get of key k");
    try (StatefulRedisConnection<String, String> c = client.connect(RedisTesting.uri())) {
      assertThat(c.sync().ping()).isEqualTo("PONG");
    }
    assertThat(store.toString()).contains(RedisTesting.server().hostPort(), prefix);
  }

  // ---- slow server --------------------------------------------------------------------------

  @Test
  void aCommandTheServerDoesNotAnswerInTimeFailsAfterTheTimeoutAndLeavesNoHalfRecord() {
    TestServers.requireManaged(RedisTesting.server());
    RedisIdempotencyStore store =
        open(
            builder("paused").commandTimeout(Duration.ofMillis(200)).clock(SettableClock.create()));
    String key = "k:" + UUID.randomUUID();
    store.get(key); // connected and warm

    redis().clientPause(1500);
    long start = System.nanoTime();
    assertThatThrownBy(() -> store.claim(request(key)))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining(RedisTesting.server().hostPort())
        .hasMessageContaining("claim of key " + key)
        .hasMessageContaining("200 ms");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1200));

    // The server runs the claim when the pause ends: a whole record, held by nobody until its
    // lease ends, as after a crashed holder.
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptionsInstanceOf(StoreUnavailableException.class)
        .until(() -> store.get(key).isPresent());
    IdempotencyRecord r = store.get(key).orElseThrow();
    assertThat(r.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(r.token()).isPositive();
    assertThat(r.leaseUntil()).isNotNull();
    ClaimResult again = store.claim(request(key));
    assertThat(again.status()).isEqualTo(ClaimStatus.IN_PROGRESS);
  }
}
