package io.idem.server;

import static io.idem.server.TenantApi.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.idem.testkit.SettableClock;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Locks over HTTP, and the Idempotency-Key header on their POSTs. The server runs on a settable
 * clock: leases, keep times and waits pass only when the test moves it.
 */
class LockRoutesTest {

  static final String KEY = "key-a-0123456789abcdef";

  @TempDir Path dir;
  private final SettableClock clock = SettableClock.create();
  private IdemServer server;
  private TenantApi api;
  private int keys;

  @BeforeEach
  void start() {
    server = ServerTesting.start(dir, clock, KEY, "acme");
    api = new TenantApi(server, KEY);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** Acquires with a fresh Idempotency-Key. */
  private TenantApi.Answer acquire(String name, Object body) throws Exception {
    return acquire(name, body, "k-" + (++keys));
  }

  private TenantApi.Answer acquire(String name, Object body, String idempotencyKey)
      throws Exception {
    return api.post(
        "/v1/locks/" + name + "/acquire",
        body instanceof String s ? s : json(body),
        Map.of("Idempotency-Key", idempotencyKey));
  }

  /**
   * Sends the acquire on another thread and returns once the server runs it (its Idempotency-Key is
   * claimed).
   */
  private CompletableFuture<TenantApi.Answer> acquireInBackground(
      String name, Object body, String idempotencyKey) {
    CompletableFuture<TenantApi.Answer> f =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return acquire(name, body, idempotencyKey);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                server
                    .context()
                    .tenantNamed("acme")
                    .idempotencyStore()
                    .get(httpKey("POST", "/v1/locks/" + name + "/acquire", idempotencyKey))
                    .isPresent());
    return f;
  }

  @Test
  void acquireHoldReleaseAndAcquireAgain() throws Exception {
    TenantApi.Answer a =
        acquire("nightly", Map.of("owner", "host-1", "lease", "PT30S")).expect(200);
    assertThat(a.text("name")).isEqualTo("nightly");
    assertThat(a.text("owner")).isEqualTo("host-1");
    long token = a.number("token");
    assertThat(Instant.parse(a.text("leaseUntil"))).isEqualTo(clock.instant().plusSeconds(30));

    TenantApi.Answer holder = api.get("/v1/locks/nightly").expect(200);
    assertThat(holder.number("token")).isEqualTo(token);
    assertThat(holder.text("owner")).isEqualTo("host-1");

    TenantApi.Answer held =
        acquire("nightly", Map.of("owner", "host-2", "lease", "PT30S")).problem(409, null);
    assertThat(held.body().path("holder").path("owner").asText()).isEqualTo("host-1");
    assertThat(held.body().path("holder").path("token").asLong()).isEqualTo(token);
    assertThat(held.body().path("holder").path("leaseUntil").asText()).isNotEmpty();

    TenantApi.Answer wrong =
        api.post("/v1/locks/nightly/release", json(Map.of("token", token + 1))).problem(409, null);
    assertThat(wrong.body().path("detail").asText()).contains("not the holder");
    api.post("/v1/locks/nightly/release", json(Map.of("token", token))).expect(200);
    api.get("/v1/locks/nightly").problem(404, null);
    api.post("/v1/locks/nightly/release", json(Map.of("token", token))).problem(409, null);

    long next =
        acquire("nightly", Map.of("owner", "host-2", "lease", "PT30S")).expect(200).number("token");
    assertThat(next).isGreaterThan(token);
  }

  @Test
  void extendMovesTheLeaseOnlyForTheHolder() throws Exception {
    TenantApi.Answer a = acquire("ext", Map.of("owner", "o", "lease", "PT10S")).expect(200);
    long token = a.number("token");
    assertThat(Instant.parse(a.text("leaseUntil"))).isEqualTo(clock.instant().plusSeconds(10));
    clock.advance(Duration.ofSeconds(5));
    TenantApi.Answer e =
        api.post("/v1/locks/ext/extend", json(Map.of("token", token, "lease", "PT1H"))).expect(200);
    assertThat(Instant.parse(e.text("leaseUntil"))).isEqualTo(clock.instant().plusSeconds(3600));
    api.post("/v1/locks/ext/extend", json(Map.of("token", token - 1, "lease", "PT1H")))
        .problem(409, null);
  }

  @Test
  void acquireWaitsForTheHolderUpToWaitAndRecordsTheWait() throws Exception {
    Instant t0 = clock.instant();
    acquire("w", Map.of("owner", "first", "lease", "PT1S")).expect(200);
    CompletableFuture<TenantApi.Answer> waiting =
        acquireInBackground(
            "w", Map.of("owner", "second", "lease", "PT30S", "wait", "PT10S"), "wait-2");
    // held by the first, with a wait on the server's ticker: nothing ends while the clock stands
    assertThat(waiting).isNotDone();
    clock.advance(Duration.ofSeconds(1)); // the first lease ends

    TenantApi.Answer second = waiting.get(10, TimeUnit.SECONDS).expect(200);
    assertThat(second.text("owner")).isEqualTo("second");
    assertThat(Instant.parse(second.text("leaseUntil"))).isEqualTo(t0.plusSeconds(1 + 30));
    Timer waits = server.context().metrics().registry().find("idem_lock_wait").timer();
    assertThat(waits).isNotNull();
    assertThat(waits.count()).isEqualTo(2);
    // timed on the ticker: from the request's start to the acquisition, at most the second moved
    assertThat(waits.max(TimeUnit.MILLISECONDS)).isBetween(0.0, 1000.0);

    CompletableFuture<TenantApi.Answer> third =
        acquireInBackground(
            "w", Map.of("owner", "third", "lease", "PT30S", "wait", "PT0.3S"), "wait-3");
    assertThat(third).isNotDone();
    Instant waitFrom = clock.instant();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              clock.advance(Duration.ofMillis(50));
              return third.isDone();
            });
    TenantApi.Answer refused = third.get().problem(409, null);
    assertThat(refused.body().path("holder").path("owner").asText()).isEqualTo("second");
    assertThat(clock.instant()).isAfterOrEqualTo(waitFrom.plusMillis(300));
    assertThat(waits.count()).as("a wait that ran out is not recorded").isEqualTo(2);
  }

  @Test
  void releaseWithKeepForHoldsTheLockThatLong() throws Exception {
    long token =
        acquire("keep", Map.of("owner", "o", "lease", "PT30S")).expect(200).number("token");
    api.post("/v1/locks/keep/release", json(Map.of("token", token, "keepFor", "PT2S"))).expect(200);
    api.get("/v1/locks/keep").expect(200);
    clock.advance(Duration.ofMillis(1999));
    assertThat(Instant.parse(api.get("/v1/locks/keep").expect(200).text("leaseUntil")))
        .isEqualTo(clock.instant().plusMillis(1));
    clock.advance(Duration.ofMillis(1));
    api.get("/v1/locks/keep").problem(404, null);
  }

  @Test
  void theListShowsTheLocksHeldNow() throws Exception {
    assertThat(api.get("/v1/locks").expect(200).body().path("locks").size()).isZero();
    long b = acquire("b-lock", Map.of("owner", "o1", "lease", "PT1M")).expect(200).number("token");
    acquire("a-lock", Map.of("owner", "o2", "lease", "PT1M")).expect(200);
    long c = acquire("c-lock", Map.of("owner", "o3", "lease", "PT1M")).expect(200).number("token");
    api.post("/v1/locks/c-lock/release", json(Map.of("token", c))).expect(200);

    TenantApi.Answer list = api.get("/v1/locks").expect(200);
    assertThat(list.body().path("locks").findValuesAsText("name"))
        .containsExactly("a-lock", "b-lock");
    var first = list.body().path("locks").get(1);
    assertThat(first.path("token").asLong()).isEqualTo(b);
    assertThat(first.path("owner").asText()).isEqualTo("o1");
    assertThat(first.path("leaseLeftMillis").asLong()).isEqualTo(60_000L);
    assertThat(first.path("leaseLeft").asText()).isEqualTo("PT1M");
    clock.advance(Duration.ofSeconds(15));
    var later = api.get("/v1/locks").expect(200).body().path("locks").get(1);
    assertThat(later.path("leaseLeftMillis").asLong()).isEqualTo(45_000L);
    // the free one is forgotten
    assertThat(server.context().tenantNamed("acme").lockRegistry().size()).isEqualTo(2);
  }

  @Test
  void badRequestsNameTheFieldAndHoldNothing() throws Exception {
    Map<String, String> acquires =
        Map.ofEntries(
            Map.entry("{\"lease\":\"PT1M\"}", "owner"),
            Map.entry("{\"owner\":\"\",\"lease\":\"PT1M\"}", "owner"),
            Map.entry("{\"owner\":7,\"lease\":\"PT1M\"}", "owner"),
            Map.entry("{\"owner\":\"" + "o".repeat(201) + "\",\"lease\":\"PT1M\"}", "owner"),
            Map.entry("{\"owner\":\"a\\nb\",\"lease\":\"PT1M\"}", "owner"),
            Map.entry("{\"owner\":\"o\"}", "lease"),
            Map.entry("{\"owner\":\"o\",\"lease\":\"P2D\"}", "lease"),
            Map.entry("{\"owner\":\"o\",\"lease\":\"PT1M\",\"wait\":\"PT31S\"}", "wait"),
            Map.entry("{\"owner\":\"o\",\"lease\":\"PT1M\",\"wait\":5}", "wait"),
            Map.entry("{\"owner\":\"o\",\"lease\":\"PT1M\",\"wait\":\"-PT1S\"}", "wait"),
            Map.entry("{\"owner\":\"o\",\"lease\":\"PT1M\",\"token\":1}", "token"),
            Map.entry("{\"owner\":\"o\",\"lease\":\"PT1M\"", "body"),
            Map.entry("[]", "body"));
    for (Map.Entry<String, String> c : acquires.entrySet()) {
      TenantApi.Answer a = acquire("v", c.getKey());
      assertThat(a.status()).as("acquire %s -> %s", c.getKey(), a.raw().body()).isEqualTo(400);
      assertThat(a.body().path("field").asText()).isEqualTo(c.getValue());
    }
    String ok = json(Map.of("owner", "o", "lease", "PT1M"));
    acquire("n".repeat(256), ok).problem(400, "name");
    acquire("a%01b", ok).problem(400, "name");
    acquire("%20", ok).problem(400, "name");
    api.get("/v1/locks/v").problem(404, null);
    assertThat(api.get("/v1/locks").expect(200).body().path("locks").size()).isZero();

    long token = acquire("v", ok).expect(200).number("token");
    api.post("/v1/locks/v/release", "{\"token\":\"" + token + "\"}").problem(400, "token");
    api.post("/v1/locks/v/release", "{\"token\":" + token + ",\"keepFor\":\"-PT1S\"}")
        .problem(400, "keepFor");
    api.post("/v1/locks/v/release", "{\"token\":" + token + ",\"keepFor\":\"P9D\"}")
        .problem(400, "keepFor");
    api.post("/v1/locks/v/release", "{}").problem(400, "token");
    api.post("/v1/locks/v/extend", "{\"token\":" + token + "}").problem(400, "lease");
    api.post("/v1/locks/v/extend", "{\"token\":" + token + ",\"lease\":\"x\"}")
        .problem(400, "lease");
    assertThat(api.get("/v1/locks/v").expect(200).number("token")).isEqualTo(token);
  }

  // ---- Idempotency-Key ------------------------------------------------------------------------

  @Test
  void acquireRequiresAnIdempotencyKey() throws Exception {
    TenantApi.Answer a =
        api.post("/v1/locks/k/acquire", json(Map.of("owner", "o", "lease", "PT1M")))
            .problem(400, "Idempotency-Key");
    assertThat(a.body().path("detail").asText()).contains("requires an Idempotency-Key");
    api.get("/v1/locks/k").problem(404, null);
    acquire("k", Map.of("owner", "o", "lease", "PT1M"), "").problem(400, "Idempotency-Key");
    acquire("k", Map.of("owner", "o", "lease", "PT1M"), "x".repeat(256))
        .problem(400, "Idempotency-Key");
    api.get("/v1/locks/k").problem(404, null);
  }

  @Test
  void aRetriedAcquireIsReplayedWithTheSameStatusBodyAndToken() throws Exception {
    String body = json(Map.of("owner", "o", "lease", "PT1M"));
    TenantApi.Answer first = acquire("r", body, "retry-1").expect(200);
    assertThat(first.header("Idempotent-Replayed")).isNull();
    TenantApi.Answer again = acquire("r", body, "retry-1").expect(200);
    assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(again.raw().body()).isEqualTo(first.raw().body());
    assertThat(again.header("Content-Type")).startsWith("application/json");
    // logically equal bodies are the same request
    acquire("r", "{ \"lease\":\"PT1M\", \"owner\":\"o\" }", "retry-1").expect(200);
    // the lock was acquired once
    assertThat(api.get("/v1/locks/r").expect(200).number("token")).isEqualTo(first.number("token"));
    assertThat(server.context().metrics().recent("acme"))
        .extracting(ServerMetrics.Event::what)
        .contains("replay");
  }

  @Test
  void theSameKeyWithAnotherBodyIs422() throws Exception {
    acquire("m", Map.of("owner", "o", "lease", "PT1M"), "same").expect(200);
    TenantApi.Answer other =
        acquire("m", Map.of("owner", "p", "lease", "PT1M"), "same").problem(422, "Idempotency-Key");
    assertThat(other.body().path("detail").asText()).contains("another request body");
    assertThat(api.get("/v1/locks/m").expect(200).text("owner")).isEqualTo("o");
  }

  @Test
  void theSameKeyWhileTheFirstRequestRunsIs409() throws Exception {
    long token = acquire("busy", Map.of("owner", "x", "lease", "PT1M")).expect(200).number("token");
    String body = json(Map.of("owner", "y", "lease", "PT1M", "wait", "PT10S"));
    CompletableFuture<TenantApi.Answer> waiting = acquireInBackground("busy", body, "wait-1");
    TenantApi.Answer concurrent = acquire("busy", body, "wait-1").problem(409, null);
    assertThat(concurrent.body().path("detail").asText()).contains("still being processed");
    assertThat(waiting).isNotDone();

    api.post("/v1/locks/busy/release", json(Map.of("token", token))).expect(200);
    TenantApi.Answer done = waiting.get(10, TimeUnit.SECONDS).expect(200);
    assertThat(done.text("owner")).isEqualTo("y");
    TenantApi.Answer replay = acquire("busy", body, "wait-1").expect(200);
    assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replay.number("token")).isEqualTo(done.number("token"));
  }

  @Test
  void aRefusedAcquireIsNotStoredSoTheSameKeyMayTryAgain() throws Exception {
    long token = acquire("c", Map.of("owner", "x", "lease", "PT1M")).expect(200).number("token");
    String body = json(Map.of("owner", "y", "lease", "PT1M"));
    acquire("c", body, "try").problem(409, null);
    api.post("/v1/locks/c/release", json(Map.of("token", token))).expect(200);
    TenantApi.Answer second = acquire("c", body, "try").expect(200);
    assertThat(second.header("Idempotent-Replayed")).isNull();
    assertThat(second.text("owner")).isEqualTo("y");
  }

  @Test
  void keysAreScopedToTheRouteAndBadRequestsStoreNothing() throws Exception {
    String body = json(Map.of("owner", "o", "lease", "PT1M"));
    acquire("one", body, "shared").expect(200);
    TenantApi.Answer two = acquire("two", body, "shared").expect(200);
    assertThat(two.header("Idempotent-Replayed")).isNull();
    // a refused body does not use up the key
    acquire("three", "{\"owner\":\"o\"}", "fresh").problem(400, "lease");
    assertThat(acquire("three", body, "fresh").expect(200).header("Idempotent-Replayed")).isNull();
  }

  @Test
  void longNamesWithLongKeysAndColonsWork() throws Exception {
    String body = json(Map.of("owner", "o", "lease", "PT1M"));
    String name = "n".repeat(255);
    String key = "k".repeat(255);
    acquire(name, body, key).expect(200);
    assertThat(acquire(name, body, key).expect(200).header("Idempotent-Replayed"))
        .isEqualTo("true");
    // "a:b" + key "c" and "a" + key "b:c"-like splits never meet
    acquire("job:1", body, "x").expect(200);
    acquire("job", body, "1/acquire:x").expect(200);
    assertThat(api.get("/v1/locks/job").expect(200).text("owner")).isEqualTo("o");
  }

  @Test
  void aQuotedKeyIsTheSameKey() throws Exception {
    String body = json(Map.of("owner", "o", "lease", "PT1M"));
    acquire("q", body, "\"abc-123\"").expect(200);
    assertThat(acquire("q", body, "abc-123").expect(200).header("Idempotent-Replayed"))
        .isEqualTo("true");
    acquire("q", body, "\"unterminated").problem(400, "Idempotency-Key");
  }

  @Test
  void extendAndReleaseTakeAnOptionalKey() throws Exception {
    long token = acquire("opt", Map.of("owner", "o", "lease", "PT1M")).expect(200).number("token");
    String release = json(Map.of("token", token));
    api.post("/v1/locks/opt/release", release, Map.of("Idempotency-Key", "rel-1")).expect(200);
    TenantApi.Answer again =
        api.post("/v1/locks/opt/release", release, Map.of("Idempotency-Key", "rel-1")).expect(200);
    assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    api.post("/v1/locks/opt/release", release).problem(409, null);
  }

  /** The record key ServerContext.idempotent uses (found through the store in the test above). */
  private static String httpKey(String method, String path, String key) {
    return ServerContext.idempotencyRecordKey(method, path, key);
  }
}
