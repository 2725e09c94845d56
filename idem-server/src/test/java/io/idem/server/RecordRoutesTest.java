package io.idem.server;

import static io.idem.server.TenantApi.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.idem.IdempotencyKey;
import io.idem.Outcome;
import io.idem.testkit.SettableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Idempotency records over HTTP: once() for any language. The server runs on a settable clock. */
class RecordRoutesTest {

  static final String KEY = "key-a-0123456789abcdef";

  @TempDir Path dir;
  private final SettableClock clock = SettableClock.create();
  private IdemServer server;
  private TenantApi api;

  @BeforeEach
  void start() {
    server = ServerTesting.start(dir, clock, KEY, "acme");
    api = new TenantApi(server, KEY);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private TenantApi.Answer claim(String key, Object payload) throws Exception {
    return api.post("/v1/records/claim", json(Map.of("key", key, "payload", payload)));
  }

  @Test
  void claimCompleteAndReplay() throws Exception {
    TenantApi.Answer c = claim("email:welcome:42", Map.of("to", "a@b.c")).expect(201);
    assertThat(c.text("state")).isEqualTo("claimed");
    assertThat(c.number("attempt")).isEqualTo(1);
    long token = c.number("token");
    assertThat(token).isPositive();
    Instant leaseUntil = Instant.parse(c.text("leaseUntil"));
    assertThat(leaseUntil).isEqualTo(clock.instant().plusSeconds(30)); // the default lease

    api.post(
            "/v1/records/complete",
            json(Map.of("key", "email:welcome:42", "token", token, "result", Map.of("id", "m-1"))))
        .expect(200);

    TenantApi.Answer again = claim("email:welcome:42", Map.of("to", "a@b.c")).expect(200);
    assertThat(again.text("state")).isEqualTo("completed");
    assertThat(again.body().path("replayed").asBoolean()).isTrue();
    assertThat(again.body().path("result").path("id").asText()).isEqualTo("m-1");

    TenantApi.Answer other = claim("email:welcome:42", Map.of("to", "x@y.z")).problem(422, null);
    assertThat(other.body().path("key").asText()).isEqualTo("email:welcome:42");

    TenantApi.Answer record = api.get("/v1/records/email:welcome:42").expect(200);
    assertThat(record.text("state")).isEqualTo("completed");
    assertThat(record.number("token")).isEqualTo(token);
    assertThat(record.body().path("result").path("id").asText()).isEqualTo("m-1");
    // email keys keep the email category's TTL (2 h)
    assertThat(Instant.parse(record.text("expiresAt")))
        .isEqualTo(clock.instant().plus(Duration.ofHours(2)));
    assertThat(server.context().metrics().recent("acme"))
        .extracting(ServerMetrics.Event::what)
        .contains("replay", "mismatch");
  }

  @Test
  void logicallyEqualPayloadsMatchAsInJava() throws Exception {
    long token = claim("k1", Map.of("a", 1, "b", List.of(1.0, "x"))).expect(201).number("token");
    api.post("/v1/records/complete", json(Map.of("key", "k1", "token", token, "result", "ok")))
        .expect(200);
    // same payload, other field order and number spelling
    TenantApi.Answer r =
        api.post("/v1/records/claim", "{\"payload\":{\"b\":[1,\"x\"],\"a\":1.00},\"key\":\"k1\"}")
            .expect(200);
    assertThat(r.body().path("result").asText()).isEqualTo("ok");
    // and Java's once on the tenant's store sees the same record
    Outcome<Object> java =
        server
            .context()
            .tenantNamed("acme")
            .idem()
            .once(
                IdempotencyKey.readable("k1"),
                Map.of("b", List.of(1, "x"), "a", 1),
                () -> "ran in java");
    assertThat(java.wasReplayed()).isTrue();
    assertThat(java.value()).isEqualTo("ok");
  }

  @Test
  void aKeyCompletedInJavaReplaysOverHttp() throws Exception {
    server
        .context()
        .tenantNamed("acme")
        .idem()
        .once(IdempotencyKey.readable("java:1"), Map.of("n", 5), () -> Map.of("sum", 15));
    TenantApi.Answer r = claim("java:1", Map.of("n", 5)).expect(200);
    assertThat(r.body().path("result").path("sum").asInt()).isEqualTo(15);
    claim("java:1", Map.of("n", 6)).problem(422, null);
  }

  @Test
  void noPayloadIsThePayloadNull() throws Exception {
    long token = api.post("/v1/records/claim", "{\"key\":\"np\"}").expect(201).number("token");
    api.post("/v1/records/complete", json(Map.of("key", "np", "token", token, "result", 7)))
        .expect(200);
    api.post("/v1/records/claim", "{\"key\":\"np\",\"payload\":null}").expect(200);
    TenantApi.Answer r =
        api.post(
            "/v1/records/complete", "{\"key\":\"np\",\"token\":" + token + ",\"result\":null}");
    assertThat(r.status()).isEqualTo(409); // a completed key is not completed again with another
    assertThat(api.get("/v1/records/np").expect(200).body().path("result").asInt()).isEqualTo(7);
  }

  @Test
  void aKeyInProgressIsA409WithItsLease() throws Exception {
    claim("busy", "p").expect(201);
    TenantApi.Answer second = claim("busy", "p").problem(409, null);
    assertThat(second.body().path("leaseUntil").asText()).isNotEmpty();
    assertThat(second.body().path("key").asText()).isEqualTo("busy");
    assertThat(api.get("/v1/records/busy").expect(200).text("state")).isEqualTo("in_progress");
  }

  @Test
  void aLapsedLeaseIsTakenOverAndTheOldTokenIsRefused() throws Exception {
    long first =
        api.post("/v1/records/claim", json(Map.of("key", "crash", "lease", "PT0.2S")))
            .expect(201)
            .number("token");
    api.post("/v1/records/claim", json(Map.of("key", "crash"))).problem(409, null);
    clock.advance(Duration.ofMillis(200));
    TenantApi.Answer second =
        api.post("/v1/records/claim", json(Map.of("key", "crash"))).expect(201);
    assertThat(second.number("attempt")).isEqualTo(2);
    assertThat(second.number("token")).isGreaterThan(first);
    api.post("/v1/records/complete", json(Map.of("key", "crash", "token", first, "result", 1)))
        .problem(409, null);
    api.post("/v1/records/extend", json(Map.of("key", "crash", "token", first, "lease", "PT1M")))
        .problem(409, null);
    api.post("/v1/records/fail", json(Map.of("key", "crash", "token", first, "error", "boom")))
        .problem(409, null);
    api.post(
            "/v1/records/complete",
            json(Map.of("key", "crash", "token", second.number("token"), "result", 2)))
        .expect(200);
  }

  @Test
  void aRepeatedCompleteOrFailAnswers200Again() throws Exception {
    long token = claim("rep", 1).expect(201).number("token");
    String complete = json(Map.of("key", "rep", "token", token, "result", "r"));
    assertThat(api.post("/v1/records/complete", complete).expect(200).body().has("replayed"))
        .isFalse();
    assertThat(
            api.post("/v1/records/complete", complete)
                .expect(200)
                .body()
                .path("replayed")
                .asBoolean())
        .isTrue();
    // but failing a completed key is refused
    api.post("/v1/records/fail", json(Map.of("key", "rep", "token", token, "error", "x")))
        .problem(409, null);

    long t2 = claim("rep2", 1).expect(201).number("token");
    String fail = json(Map.of("key", "rep2", "token", t2, "error", "no", "retryable", false));
    api.post("/v1/records/fail", fail).expect(200);
    assertThat(api.post("/v1/records/fail", fail).expect(200).body().path("replayed").asBoolean())
        .isTrue();
  }

  @Test
  void aRetryableFailureReleasesTheKey() throws Exception {
    long token = claim("retry", "p").expect(201).number("token");
    api.post(
            "/v1/records/fail",
            json(
                Map.of(
                    "key",
                    "retry",
                    "token",
                    token,
                    "error",
                    Map.of("type", "TimeoutError", "message", "slow\nline 2"))))
        .expect(200);
    TenantApi.Answer record = api.get("/v1/records/retry").expect(200);
    assertThat(record.text("state")).isEqualTo("failed");
    assertThat(record.body().path("error").path("type").asText()).isEqualTo("TimeoutError");
    assertThat(record.body().path("error").path("message").asText()).isEqualTo("slow\nline 2");
    // released: another claim, even with another payload, runs again
    TenantApi.Answer again = claim("retry", "other").expect(201);
    assertThat(again.number("attempt")).isEqualTo(2);
    assertThat(again.number("token")).isGreaterThan(token);
  }

  @Test
  void aCachedFailureIsReplayedUntilRetryAfter() throws Exception {
    long token = claim("cached", "p").expect(201).number("token");
    api.post(
            "/v1/records/fail",
            json(Map.of("key", "cached", "token", token, "error", "down", "retryAfter", "PT1S")))
        .expect(200);
    TenantApi.Answer replay = claim("cached", "p").expect(200);
    assertThat(replay.text("state")).isEqualTo("failed");
    assertThat(replay.body().path("error").path("message").asText()).isEqualTo("down");
    assertThat(replay.body().path("replayed").asBoolean()).isTrue();
    clock.advance(Duration.ofMillis(999));
    assertThat(claim("cached", "p").expect(200).body().path("replayed").asBoolean()).isTrue();
    clock.advance(Duration.ofMillis(1));
    assertThat(claim("cached", "p").expect(201).number("attempt")).isEqualTo(2);

    long t2 = claim("fatal", "p").expect(201).number("token");
    api.post(
            "/v1/records/fail",
            json(Map.of("key", "fatal", "token", t2, "error", "bad input", "retryable", false)))
        .expect(200);
    assertThat(claim("fatal", "p").expect(200).text("state")).isEqualTo("failed");
  }

  @Test
  void extendMovesTheLease() throws Exception {
    TenantApi.Answer c =
        api.post("/v1/records/claim", json(Map.of("key", "long", "lease", "PT10S"))).expect(201);
    Instant before = Instant.parse(c.text("leaseUntil"));
    assertThat(before).isEqualTo(clock.instant().plusSeconds(10));
    clock.advance(Duration.ofSeconds(5));
    TenantApi.Answer e =
        api.post(
                "/v1/records/extend",
                json(Map.of("key", "long", "token", c.number("token"), "lease", "PT1H")))
            .expect(200);
    assertThat(Instant.parse(e.text("leaseUntil"))).isEqualTo(clock.instant().plusSeconds(3600));
  }

  @Test
  void getAnswers404ForAnAbsentKeyAndTakesKeysWithSlashes() throws Exception {
    api.get("/v1/records/nothing").problem(404, null);
    long token = claim("a/b/c:d", 1).expect(201).number("token");
    assertThat(api.get("/v1/records/a/b/c:d").expect(200).number("token")).isEqualTo(token);
    api.get("/v1/records/bad%01key").problem(400, "key");
  }

  @Test
  void badRequestsNameTheFieldAndWriteNothing() throws Exception {
    String k = "\"key\":\"v\"";
    Map<String, String> cases =
        Map.ofEntries(
            Map.entry("{}", "key"),
            Map.entry("{\"key\":\"\"}", "key"),
            Map.entry("{\"key\":\" \"}", "key"),
            Map.entry("{\"key\":\"a\\u0000b\"}", "key"),
            Map.entry("{\"key\":\"" + "x".repeat(513) + "\"}", "key"),
            Map.entry("{\"key\":42}", "key"),
            Map.entry("{\"key\":[\"v\"]}", "key"),
            Map.entry("{" + k + ",\"lease\":\"soon\"}", "lease"),
            Map.entry("{" + k + ",\"lease\":30}", "lease"),
            Map.entry("{" + k + ",\"lease\":\"PT0S\"}", "lease"),
            Map.entry("{" + k + ",\"lease\":\"-PT5S\"}", "lease"),
            Map.entry("{" + k + ",\"lease\":\"PT9999999999999H\"}", "lease"),
            Map.entry("{" + k + ",\"lease\":\"P2D\"}", "lease"),
            Map.entry("{" + k + ",\"ttl\":\"P99999D\"}", "ttl"),
            Map.entry("{" + k + ",\"payload\":{\"n\":1e400}}", "payload"),
            Map.entry("{" + k + ",\"payload\":\"\\ud800\"}", "payload"),
            Map.entry(
                "{" + k + ",\"payload\":" + "[".repeat(100) + "]".repeat(100) + "}", "payload"),
            Map.entry("{" + k + ",\"extra\":1}", "extra"),
            Map.entry("{" + k + "," + k + "}", "body"),
            Map.entry("[" + "{" + k + "}]", "body"),
            Map.entry("{" + k + "} {}", "body"),
            Map.entry("{" + k, "body"),
            Map.entry("null", "body"),
            Map.entry("\"v\"", "body"));
    for (Map.Entry<String, String> c : cases.entrySet()) {
      TenantApi.Answer a = api.post("/v1/records/claim", c.getKey());
      assertThat(a.status()).as("claim %s -> %s", c.getKey(), a.raw().body()).isEqualTo(400);
      assertThat(a.isProblem()).isTrue();
      assertThat(a.body().path("field").asText())
          .as("field of %s", c.getKey())
          .isEqualTo(c.getValue());
    }
    api.post("/v1/records/claim", "").problem(400, "body");
    api.get("/v1/records/v").problem(404, null);

    long token = claim("held", 1).expect(201).number("token");
    Map<String, String> complete =
        Map.of(
            "{\"key\":\"held\",\"result\":1}",
            "token",
            "{\"key\":\"held\",\"token\":\"" + token + "\",\"result\":1}",
            "token",
            "{\"key\":\"held\",\"token\":1.5,\"result\":1}",
            "token",
            "{\"key\":\"held\",\"token\":-1,\"result\":1}",
            "token",
            "{\"key\":\"held\",\"token\":99999999999999999999999,\"result\":1}",
            "token",
            "{\"key\":\"held\",\"token\":" + token + "}",
            "result",
            "{\"key\":\"held\",\"token\":" + token + ",\"result\":[1e999]}",
            "result",
            "{\"key\":\"held\",\"token\":" + token + ",\"result\":1,\"ttl\":\"1h\"}",
            "ttl");
    for (Map.Entry<String, String> c : complete.entrySet()) {
      TenantApi.Answer a = api.post("/v1/records/complete", c.getKey());
      assertThat(a.status()).as("complete %s -> %s", c.getKey(), a.raw().body()).isEqualTo(400);
      assertThat(a.body().path("field").asText()).isEqualTo(c.getValue());
    }
    String t = "\"key\":\"held\",\"token\":" + token;
    Map<String, String> fail =
        Map.of(
            "{" + t + "}", "error",
            "{" + t + ",\"error\":5}", "error",
            "{" + t + ",\"error\":{\"type\":1}}", "error.type",
            "{" + t + ",\"error\":{\"kind\":\"x\"}}", "error",
            "{" + t + ",\"error\":\"a\\u0001\"}", "error",
            "{" + t + ",\"error\":\"" + "m".repeat(4001) + "\"}", "error",
            "{" + t + ",\"error\":\"x\",\"retryable\":\"yes\"}", "retryable",
            "{" + t + ",\"error\":\"x\",\"retryable\":false,\"retryAfter\":\"PT1S\"}", "retryAfter",
            "{" + t + ",\"error\":\"x\",\"retryAfter\":\"-PT1S\"}", "retryAfter");
    for (Map.Entry<String, String> c : fail.entrySet()) {
      TenantApi.Answer a = api.post("/v1/records/fail", c.getKey());
      assertThat(a.status()).as("fail %s -> %s", c.getKey(), a.raw().body()).isEqualTo(400);
      assertThat(a.body().path("field").asText()).isEqualTo(c.getValue());
    }
    api.post("/v1/records/extend", "{" + t + "}").problem(400, "lease");
    api.post("/v1/records/extend", "{" + t + ",\"lease\":\"P3D\"}").problem(400, "lease");
    // still held by the first claim, untouched
    JsonNode record = api.get("/v1/records/held").expect(200).body();
    assertThat(record.path("state").asText()).isEqualTo("in_progress");
    assertThat(record.path("token").asLong()).isEqualTo(token);
  }
}
