package io.idem.server;

import static io.idem.server.TenantApi.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.idem.server.ServerConfig.StoreKind;
import io.idem.server.TestBackends.TenantPair;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tenant A cannot read, complete, release or even detect tenant B's records, trackers and locks:
 * the same names in A and B are independent, and B's items answer A exactly as absent ones do. On
 * every backend (SQLite, PostgreSQL, Redis, tiered), with tenants whose names differ only by '-'
 * and '_' (short names, and long ones whose namespaces are told apart by their hash).
 */
class TenantIsolationTest {

  static final String KEY_A = "key-a-0123456789abcdef";
  static final String KEY_B = "key-b-0123456789abcdef";

  @TempDir Path dir;
  private IdemServer server;
  private TenantApi a;
  private TenantApi b;
  private String tenantA;

  private void start(StoreKind store, TenantPair tenants) {
    tenantA = tenants.a();
    server =
        IdemServer.start(
            TestBackends.config(store, dir)
                .apiKey(KEY_A, tenants.a())
                .apiKey(KEY_B, tenants.b())
                .build());
    a = new TenantApi(server, KEY_A);
    b = new TenantApi(server, KEY_B);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** The answer without what names the item, to compare B's items with absent ones. */
  private static String shape(TenantApi.Answer r, String... names) {
    String body = r.raw().body();
    for (String n : names) {
      body = body.replace(n, "<name>");
    }
    return r.status() + " " + body.replaceAll("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z", "<time>");
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("io.idem.server.TestBackends#backendsAndPairs")
  void recordsOfBAreAbsentForA(StoreKind store, TenantPair tenants) throws Exception {
    start(store, tenants);
    long tb =
        b.post("/v1/records/claim", json(Map.of("key", "only-b", "payload", 1)))
            .expect(201)
            .number("token");

    // A cannot read it, and it looks exactly like a key nobody used
    assertThat(shape(a.get("/v1/records/only-b"), "only-b"))
        .isEqualTo(shape(a.get("/v1/records/never"), "never"))
        .startsWith("404");
    // nor complete, fail or extend it with B's token
    String complete = json(Map.of("key", "only-b", "token", tb, "result", "stolen"));
    assertThat(shape(a.post("/v1/records/complete", complete), "only-b"))
        .isEqualTo(
            shape(
                a.post(
                    "/v1/records/complete",
                    json(Map.of("key", "never", "token", tb, "result", "stolen"))),
                "never"))
        .startsWith("409");
    for (String route : new String[] {"fail", "extend"}) {
      Map<String, Object> rest =
          route.equals("fail") ? Map.of("error", "x") : Map.of("lease", "PT1H");
      Map<String, Object> ofB = new HashMap<>(rest);
      ofB.putAll(Map.of("key", "only-b", "token", tb));
      Map<String, Object> ofNever = new HashMap<>(rest);
      ofNever.putAll(Map.of("key", "never", "token", tb));
      assertThat(shape(a.post("/v1/records/" + route, json(ofB)), "only-b"))
          .as(route)
          .isEqualTo(shape(a.post("/v1/records/" + route, json(ofNever)), "never"))
          .startsWith("409");
    }
    // a claim of the same key in A is A's own: it does not see B's claim or payload
    long ta =
        a.post("/v1/records/claim", json(Map.of("key", "only-b", "payload", "other")))
            .expect(201)
            .number("token");
    a.post("/v1/records/complete", json(Map.of("key", "only-b", "token", ta, "result", "a's")))
        .expect(200);

    var recordB = b.get("/v1/records/only-b").expect(200).body();
    assertThat(recordB.path("state").asText()).isEqualTo("in_progress");
    assertThat(recordB.path("token").asLong()).isEqualTo(tb);
    b.post("/v1/records/complete", json(Map.of("key", "only-b", "token", tb, "result", "b's")))
        .expect(200);
    assertThat(b.get("/v1/records/only-b").expect(200).body().path("result").asText())
        .isEqualTo("b's");
    assertThat(a.get("/v1/records/only-b").expect(200).body().path("result").asText())
        .isEqualTo("a's");
    assertThat(server.context().metrics().recent(tenantA))
        .allSatisfy(e -> assertThat(e.tenant()).isEqualTo(tenantA));
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("io.idem.server.TestBackends#backendsAndPairs")
  void trackersOfBAreEmptyForA(StoreKind store, TenantPair tenants) throws Exception {
    start(store, tenants);
    b.put("/v1/trackers/user:1/saved/x").expect(200);
    assertThat(shape(a.get("/v1/trackers/user:1/saved"), "saved"))
        .isEqualTo(shape(a.get("/v1/trackers/user:1/never"), "never"));
    assertThat(shape(a.get("/v1/trackers/user:1/saved/x"), "saved"))
        .isEqualTo(shape(a.get("/v1/trackers/user:1/never/x"), "never"));
    assertThat(a.get("/v1/trackers/user:1/saved").expect(200).body().path("ids").size()).isZero();
    assertThat(a.get("/v1/trackers/user:1/saved").expect(200).body().path("lastModified").isNull())
        .isTrue();
    assertThat(
            a.get("/v1/trackers/user:1/saved/x").expect(200).body().path("processed").asBoolean())
        .isFalse();
    // A's changes stay in A
    assertThat(
            a.delete("/v1/trackers/user:1/saved/x").expect(200).body().path("changed").asBoolean())
        .isFalse();
    assertThat(a.delete("/v1/trackers/user:1/saved").expect(200).number("cleared")).isZero();
    a.put("/v1/trackers/user:1/saved/y").expect(200);
    assertThat(b.get("/v1/trackers/user:1/saved").expect(200).body().path("ids").toString())
        .isEqualTo("[\"x\"]");
    assertThat(a.get("/v1/trackers/user:1/saved").expect(200).body().path("ids").toString())
        .isEqualTo("[\"y\"]");
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("io.idem.server.TestBackends#backendsAndPairs")
  void locksOfBAreFreeForA(StoreKind store, TenantPair tenants) throws Exception {
    start(store, tenants);
    String body = json(Map.of("owner", "b-host", "lease", "PT1M"));
    long tb =
        b.post("/v1/locks/lock-of-b/acquire", body, Map.of("Idempotency-Key", "same-key"))
            .expect(200)
            .number("token");

    // A cannot see it, release or extend it with B's token: each answer is that of a lock never
    // used
    assertThat(shape(a.get("/v1/locks/lock-of-b"), "lock-of-b"))
        .isEqualTo(shape(a.get("/v1/locks/lock-unused"), "lock-unused"))
        .startsWith("404");
    assertThat(a.get("/v1/locks").expect(200).body().path("locks").size()).isZero();
    for (String[] route :
        new String[][] {
          {"release", json(Map.of("token", tb))},
          {"extend", json(Map.of("token", tb, "lease", "PT1H"))}
        }) {
      assertThat(shape(a.post("/v1/locks/lock-of-b/" + route[0], route[1]), "lock-of-b"))
          .as(route[0])
          .isEqualTo(shape(a.post("/v1/locks/lock-unused/" + route[0], route[1]), "lock-unused"))
          .startsWith("409");
    }

    // the same Idempotency-Key in A is A's own request: it runs, and A gets its own lock
    TenantApi.Answer mine =
        a.post(
                "/v1/locks/lock-of-b/acquire",
                json(Map.of("owner", "a-host", "lease", "PT1M")),
                Map.of("Idempotency-Key", "same-key"))
            .expect(200);
    assertThat(mine.header("Idempotent-Replayed")).isNull();
    assertThat(mine.text("owner")).isEqualTo("a-host");

    TenantApi.Answer holderB = b.get("/v1/locks/lock-of-b").expect(200);
    assertThat(holderB.text("owner")).isEqualTo("b-host");
    assertThat(holderB.number("token")).isEqualTo(tb);
    assertThat(b.get("/v1/locks").expect(200).body().path("locks").findValuesAsText("owner"))
        .containsExactly("b-host");
    assertThat(a.get("/v1/locks").expect(200).body().path("locks").findValuesAsText("owner"))
        .containsExactly("a-host");
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("io.idem.server.TestBackends#backendsAndPairs")
  void withoutAKeyNothingIsReadOrWritten(StoreKind store, TenantPair tenants) throws Exception {
    start(store, tenants);
    TenantApi none = new TenantApi(server, "not-a-key-0123456789");
    none.post("/v1/records/claim", json(Map.of("key", "k"))).problem(401, null);
    none.put("/v1/trackers/global/t/x").problem(401, null);
    none.post(
            "/v1/locks/lock-of-b/acquire",
            json(Map.of("owner", "o", "lease", "PT1M")),
            Map.of("Idempotency-Key", "k"))
        .problem(401, null);
    a.get("/v1/records/k").problem(404, null);
    b.get("/v1/records/k").problem(404, null);
    assertThat(server.context().openedTenants().keySet()).doesNotContain("default");
  }
}
