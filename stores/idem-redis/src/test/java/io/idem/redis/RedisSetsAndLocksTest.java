package io.idem.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.StoreUnavailableException;
import io.idem.spi.ClaimRequest;
import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.testkit.SettableClock;
import io.idem.testkit.servers.RedisServer;
import io.idem.testkit.servers.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The key layout, the scripts, the builders and outages of {@link RedisProcessedSetStore} and
 * {@link RedisLockStore}; their contracts are in {@link RedisProcessedSetStoreTest} and {@link
 * RedisLockStoreTest}.
 */
class RedisSetsAndLocksTest {

  private static final Duration LEASE = Duration.ofSeconds(30);

  /** Names that could break a hash tag, or look like an escaped one. */
  private static final List<String> AWKWARD_NAMES =
      List.of(
          "user=42/saved_jobs",
          "{",
          "}",
          "}{",
          "{x}",
          "a}b",
          "a%7Db",
          "a%b",
          "%",
          "%25",
          "",
          "ключ/日本語/🎉",
          "x".repeat(600));

  private final List<String> prefixes = new ArrayList<>();
  private final List<AutoCloseable> stores = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable s : stores) {
      s.close();
    }
    prefixes.forEach(RedisTesting::deleteKeysOf);
  }

  private String newPrefix(String what) {
    String prefix = RedisTesting.uniquePrefix(what);
    prefixes.add(prefix);
    return prefix;
  }

  private RedisProcessedSetStore sets(String prefix, SettableClock clock) {
    RedisProcessedSetStore store =
        RedisProcessedSetStore.builder(RedisTesting.client(), RedisTesting.uri())
            .prefix(prefix)
            .clock(clock)
            .build();
    stores.add(store);
    return store;
  }

  private RedisLockStore locks(String prefix, SettableClock clock) {
    RedisLockStore store =
        RedisLockStore.builder(RedisTesting.client(), RedisTesting.uri())
            .prefix(prefix)
            .clock(clock)
            .build();
    stores.add(store);
    return store;
  }

  private static RedisCommands<String, String> redis() {
    return RedisTesting.admin();
  }

  // ---- keys ---------------------------------------------------------------------------------

  @Test
  void theKeysOfOneSetShareOneSlotAndTheTagIsTheWholeNameWhateverItHolds() {
    List<String> names = new ArrayList<>(AWKWARD_NAMES);
    for (int i = 0; i < 200; i++) {
      names.add("}" + UUID.randomUUID());
    }
    Set<Integer> slots = new HashSet<>();
    for (String name : names) {
      String members = RedisKeys.setMembers("app:idem", name);
      String modified = RedisKeys.setModified("app:idem", name);
      int slot = SlotHash.getSlot(members);
      assertThat(SlotHash.getSlot(modified)).as(name).isEqualTo(slot);
      assertThat(slot).as(name).isEqualTo(SlotHash.getSlot("app:idem:s:" + RedisKeys.escape(name)));
      assertThat(members).as(name).startsWith("{app:idem:s:").endsWith("}:m");
      assertThat(members.indexOf('}')).as(name).isEqualTo(members.length() - 3);
      slots.add(slot);
    }
    // Names starting with '}' are not all cut down to the tag "app:idem:s:" (one hot slot).
    assertThat(slots.size()).isGreaterThan(150);
  }

  @Test
  void aLockIsOneKeyWhoseTagIsTheWholeNameWhateverItHolds() {
    Set<Integer> slots = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      String name = "}{" + UUID.randomUUID();
      slots.add(SlotHash.getSlot(RedisKeys.lock("app:idem", name)));
    }
    assertThat(slots.size()).isGreaterThan(150);
    for (String name : AWKWARD_NAMES) {
      String key = RedisKeys.lock("app:idem", name);
      assertThat(key).startsWith("{app:idem:l:").endsWith("}");
      assertThat(key.indexOf('}')).as(name).isEqualTo(key.length() - 1);
      assertThat(key.lastIndexOf('{')).as(name).isZero();
    }
  }

  @Test
  void escapingIsOneToOneAndLeavesOrdinaryNamesAlone() {
    Set<String> escaped = new HashSet<>();
    for (String name : AWKWARD_NAMES) {
      assertThat(escaped.add(RedisKeys.escape(name))).as(name).isTrue();
    }
    assertThat(RedisKeys.escape("user=42/saved_jobs")).isEqualTo("user=42/saved_jobs");
    assertThat(RedisKeys.escape("a{b}%")).isEqualTo("a%7Bb%7D%25");
  }

  @Test
  void setsWithBracesOrPercentInTheirNamesAreIndependentOnRedis() {
    SettableClock clock = SettableClock.create();
    RedisProcessedSetStore store = sets(newPrefix("awkward"), clock);
    for (String name : AWKWARD_NAMES) {
      assertThat(store.add(name, "only-in-" + name)).as(name).isTrue();
    }
    for (String name : AWKWARD_NAMES) {
      assertThat(store.members(name)).as(name).containsExactly("only-in-" + name);
    }
  }

  @Test
  void aSetIsTheDocumentedTwoKeysWithoutTtl() {
    SettableClock clock = SettableClock.create();
    String prefix = newPrefix("setkeys");
    RedisProcessedSetStore store = sets(prefix, clock);
    String set = "user=7/{saved}";
    String members = "{" + prefix + ":s:user=7/%7Bsaved%7D}:m";
    String modified = "{" + prefix + ":s:user=7/%7Bsaved%7D}:t";

    store.add(set, "job-1");
    store.add(set, "job-2");

    assertThat(RedisTesting.keysOf(prefix)).containsExactlyInAnyOrder(members, modified);
    assertThat(redis().type(members)).isEqualTo("set");
    assertThat(redis().smembers(members)).containsExactlyInAnyOrder("job-1", "job-2");
    assertThat(redis().get(modified)).isEqualTo(Long.toString(clock.millis()));
    assertThat(redis().pttl(members)).isEqualTo(-1L);
    assertThat(redis().pttl(modified)).isEqualTo(-1L);

    clock.advance(Duration.ofSeconds(1));
    store.remove(set, "job-1");
    store.remove(set, "job-2");
    assertThat(RedisTesting.keysOf(prefix)).as("empty, but changed").containsExactly(modified);
    assertThat(store.lastModified(set)).contains(clock.instant());

    assertThat(store.clear(set)).isZero();
    assertThat(RedisTesting.keysOf(prefix)).isEmpty();
  }

  @Test
  void aLockIsTheDocumentedHashKeptWithoutTtlAfterRelease() {
    SettableClock clock = SettableClock.create();
    String prefix = newPrefix("lockkeys");
    RedisLockStore store = locks(prefix, clock);
    String name = "nightly-{report}";
    String key = "{" + prefix + ":l:nightly-%7Breport%7D}";

    LockLease lease = store.tryAcquire(name, "host-3/worker-7", LEASE).lease();

    assertThat(RedisTesting.keysOf(prefix)).containsExactly(key);
    assertThat(redis().hgetall(key))
        .isEqualTo(
            Map.of(
                "owner",
                "host-3/worker-7",
                "token",
                "1",
                "acquired_at",
                Long.toString(clock.millis()),
                "lease_until",
                Long.toString(clock.millis() + LEASE.toMillis())));
    assertThat(redis().pttl(key)).isEqualTo(-1L);

    clock.advance(Duration.ofSeconds(1));
    assertThat(store.release(name, lease.token(), Duration.ZERO)).isTrue();
    assertThat(redis().hget(key, "token")).isEqualTo("1");
    assertThat(redis().hget(key, "lease_until")).isEqualTo(Long.toString(clock.millis()));
    assertThat(redis().pttl(key)).isEqualTo(-1L);
    assertThat(store.tryAcquire(name, "other", LEASE).lease().token()).isEqualTo(2);
  }

  @Test
  void tokensStayExactBeyondTheDoublesOfLua() {
    SettableClock clock = SettableClock.create();
    String prefix = newPrefix("bigtoken");
    RedisLockStore store = locks(prefix, clock);
    String name = "big";
    long big = (1L << 53) + 1; // not a double
    redis()
        .hset(
            RedisKeys.lock(prefix, name),
            Map.of(
                "owner", "old",
                "token", Long.toString(big),
                "acquired_at", "0",
                "lease_until", "0"));

    LockAttempt a = store.tryAcquire(name, "node", LEASE);

    assertThat(a.acquired()).isTrue();
    assertThat(a.lease().token()).isEqualTo(big + 1);
    assertThat(store.extend(name, big, LEASE)).as("the token before").isFalse();
    assertThat(store.extend(name, big + 1, LEASE)).isTrue();
    assertThat(store.release(name, big + 1, Duration.ZERO)).isTrue();
  }

  @Test
  void aHashThatIsNotALockIsReportedNamingItsKey() {
    String prefix = newPrefix("notalock");
    RedisLockStore store = locks(prefix, SettableClock.create());
    String key = RedisKeys.lock(prefix, "x");
    redis().hset(key, "token", "7");

    assertThatThrownBy(() -> store.holder("x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(key)
        .hasMessageContaining("owner");
  }

  @Test
  void setsLocksAndRecordsOfOnePrefixDoNotMeet() {
    SettableClock clock = SettableClock.create();
    String prefix = newPrefix("shared");
    RedisProcessedSetStore sets = sets(prefix, clock);
    RedisLockStore locks = locks(prefix, clock);
    RedisIdempotencyStore records =
        RedisIdempotencyStore.builder(RedisTesting.client(), RedisTesting.uri())
            .prefix(prefix)
            .clock(clock)
            .build();
    stores.add(records);

    sets.add("n", "m");
    locks.tryAcquire("n", "o", LEASE);
    records.claim(new ClaimRequest("n", "fp", LEASE, LEASE, 1));

    assertThat(sets.members("n")).containsExactly("m");
    assertThat(locks.holder("n")).isPresent();
    assertThat(records.get("n")).isPresent();
    assertThat(RedisTesting.keysOf(prefix)).hasSize(7); // 2 + 1 + record, seq, exp, layout
  }

  // ---- scripts ------------------------------------------------------------------------------

  @Test
  void everySetStepStillWorksAfterScriptFlushBecauseNoscriptFallsBackToEval() {
    SettableClock clock = SettableClock.create();
    RedisProcessedSetStore store = sets(newPrefix("setflush"), clock);
    String set = "s";

    redis().scriptFlush();
    assertThat(redis().scriptExists(RedisScript.SET_ADD.sha())).containsExactly(false);

    assertThat(store.add(set, "a")).isTrue();
    assertThat(store.add(set, "b")).isTrue();
    assertThat(store.remove(set, "a")).isTrue();
    assertThat(store.clear(set)).isEqualTo(1);
    for (RedisScript script : RedisScript.SET_STEPS) {
      assertThat(redis().scriptExists(script.sha())).as(script.resource()).containsExactly(true);
    }
  }

  @Test
  void everyLockStepStillWorksAfterScriptFlushBecauseNoscriptFallsBackToEval() {
    SettableClock clock = SettableClock.create();
    RedisLockStore store = locks(newPrefix("lockflush"), clock);

    redis().scriptFlush();
    assertThat(redis().scriptExists(RedisScript.LOCK_ACQUIRE.sha())).containsExactly(false);

    LockLease lease = store.tryAcquire("l", "o", LEASE).lease();
    assertThat(store.extend("l", lease.token(), LEASE)).isTrue();
    assertThat(store.release("l", lease.token(), Duration.ZERO)).isTrue();
    for (RedisScript script : RedisScript.LOCK_STEPS) {
      assertThat(redis().scriptExists(script.sha())).as(script.resource()).containsExactly(true);
    }
  }

  // ---- outage -------------------------------------------------------------------------------

  @Test
  void aStoppedRedisFailsEveryStepFastNamingTheServerAndTheStepAndTheStoresRecover() {
    RedisServer server = RedisTesting.server();
    TestServers.requireManaged(server);
    Duration timeout = Duration.ofSeconds(1);
    SettableClock clock = SettableClock.create();
    String prefix = newPrefix("outage");
    RedisProcessedSetStore sets =
        RedisProcessedSetStore.builder(server.uri())
            .prefix(prefix)
            .clock(clock)
            .commandTimeout(timeout)
            .build();
    stores.add(sets);
    RedisLockStore locks =
        RedisLockStore.builder(server.uri())
            .prefix(prefix)
            .clock(clock)
            .commandTimeout(timeout)
            .build();
    stores.add(locks);
    sets.add("s", "warm");
    LockLease lease = locks.tryAcquire("l", "o", LEASE).lease();

    server.stop(true);
    try {
      Map<String, ThrowingCallable> steps =
          Map.of(
              "add to set s", () -> sets.add("s", "x"),
              "remove from set s", () -> sets.remove("s", "x"),
              "contains in set s", () -> sets.contains("s", "x"),
              "members of set s", () -> sets.members("s"),
              "clear of set s", () -> sets.clear("s"),
              "last-modified of set s", () -> sets.lastModified("s"),
              "acquire of lock l", () -> locks.tryAcquire("l", "o", LEASE),
              "extend of lock l", () -> locks.extend("l", lease.token(), LEASE),
              "release of lock l", () -> locks.release("l", lease.token(), Duration.ZERO),
              "holder of lock l", () -> locks.holder("l"));
      steps.forEach(
          (step, call) -> {
            long start = System.nanoTime();
            assertThatThrownBy(call)
                .as(step)
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("Redis at " + server.hostPort())
                .hasMessageContaining("prefix " + prefix)
                .hasMessageContaining(step + " failed");
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as(step)
                .isLessThan(timeout.plusMillis(500));
          });
    } finally {
      server.start();
    }

    // Back by themselves on the restarted server, which is empty and has no scripts cached.
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .ignoreExceptionsInstanceOf(StoreUnavailableException.class)
        .untilAsserted(
            () -> {
              assertThat(sets.members("s")).isEmpty();
              assertThat(locks.holder("l")).isEmpty();
            });
    assertThat(sets.add("s", "after")).isTrue();
    assertThat(locks.tryAcquire("l", "o", LEASE).acquired()).isTrue();
    assertThat(sets.members("s")).containsExactly("after");
  }

  // ---- building -----------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"", "a{b", "a}b", "has space"})
  void aBadPrefixIsRefusedNamingIt(String prefix) {
    assertThatThrownBy(() -> RedisProcessedSetStore.builder("redis://localhost").prefix(prefix))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + prefix + "\"");
    assertThatThrownBy(() -> RedisLockStore.builder("redis://localhost").prefix(prefix))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + prefix + "\"");
  }

  @Test
  void aNonPositiveCommandTimeoutIsRefusedNamingIt() {
    assertThatThrownBy(
            () ->
                RedisProcessedSetStore.builder("redis://localhost")
                    .commandTimeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("commandTimeout must be positive, but was PT-0.001S");
    assertThatThrownBy(
            () -> RedisLockStore.builder("redis://localhost").commandTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("commandTimeout must be positive, but was PT0S");
  }

  @Test
  void badLeasesAreRefusedBeforeRedisIsAsked() {
    RedisLockStore store = locks(newPrefix("args"), SettableClock.create());
    assertThatThrownBy(() -> store.tryAcquire("l", "o", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lease must be positive, but was PT0S");
    assertThatThrownBy(() -> store.extend("l", 1, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lease must be positive");
    assertThatThrownBy(() -> store.release("l", 1, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keepFor must not be negative, but was PT-1S");
  }

  @Test
  void anUnreachableServerFailsTheBuildNamingIt() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String uri = "redis://127.0.0.1:" + port;
    Duration timeout = Duration.ofMillis(500);

    assertThatThrownBy(() -> RedisProcessedSetStore.builder(uri).commandTimeout(timeout).build())
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageContaining("connect");
    assertThatThrownBy(() -> RedisLockStore.builder(uri).commandTimeout(timeout).build())
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageContaining("connect");
  }

  @Test
  void closingStoresOnTheCallersClientLeavesTheClientUsable() {
    RedisClient client = RedisTesting.client();
    String prefix = newPrefix("client");
    RedisProcessedSetStore sets =
        RedisProcessedSetStore.builder(client, RedisTesting.uri()).prefix(prefix).build();
    RedisLockStore locks =
        RedisLockStore.builder(client, RedisTesting.uri()).prefix(prefix).build();
    sets.add("s", "m");
    locks.tryAcquire("l", "o", LEASE);
    sets.close();
    locks.close();

    assertThatThrownBy(() -> sets.contains("s", "m"))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("contains in set s");
    assertThatThrownBy(() -> locks.holder("l"))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("holder of lock l");
    try (StatefulRedisConnection<String, String> c = client.connect(RedisTesting.uri())) {
      assertThat(c.sync().ping()).isEqualTo("PONG");
    }
    assertThat(sets.toString()).contains(RedisTesting.server().hostPort(), prefix);
    assertThat(locks.toString()).contains(RedisTesting.server().hostPort(), prefix);
  }
}
