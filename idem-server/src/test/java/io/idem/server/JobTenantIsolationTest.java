package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.idem.job.JobIds;
import io.idem.server.ServerConfig.StoreKind;
import io.idem.server.TestBackends.TenantPair;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tenant A cannot read, complete, cancel, retry or even detect tenant B's jobs: every request of A
 * naming one of B's jobs gets exactly the answer the same request gets for an id never used, B's
 * unique keys do not conflict with A's, and A's lists, stats and claims show only A's jobs. On
 * every backend (SQLite, PostgreSQL, Redis, tiered), with tenants whose names differ only by '-'
 * and '_'.
 */
class JobTenantIsolationTest {

  static final String KEY_A = "key-a-0123456789abcdef";
  static final String KEY_B = "key-b-0123456789abcdef";

  @TempDir Path dir;
  private IdemServer server;
  private JobApi a;
  private JobApi b;

  private void start(StoreKind store, TenantPair tenants) {
    server =
        IdemServer.start(
            TestBackends.config(store, dir)
                .apiKey(KEY_A, tenants.a())
                .apiKey(KEY_B, tenants.b())
                .build());
    a = new JobApi(server, KEY_A);
    b = new JobApi(server, KEY_B);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /**
   * Asserts that A's {@code method path} (with {@code {id}} replaced) answers for {@code bId}
   * exactly what it answers for {@code neverUsed}, an id no tenant has: the same status and the
   * same body but for the id; and that this answer is a 404.
   */
  private void sameAsNeverUsed(
      String method, String path, @Nullable String body, String bId, String never)
      throws Exception {
    JobApi.Answer forB = a.send(method, path.replace("{id}", bId), body, Map.of());
    JobApi.Answer forNever = a.send(method, path.replace("{id}", never), body, Map.of());
    assertThat(forB.status() + " " + forB.raw().body().replace(bId, "<id>"))
        .as("%s %s of B's job %s, against an id never used", method, path, bId)
        .isEqualTo(forNever.status() + " " + forNever.raw().body().replace(never, "<id>"))
        .startsWith("404 ");
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("io.idem.server.TestBackends#backendsAndPairs")
  void aTenantCannotReachAnotherTenantsJobs(StoreKind store, TenantPair tenants) throws Exception {
    start(store, tenants);
    String bId =
        b.enqueue("{\"type\":\"t\",\"id\":\"b-job\",\"maxAttempts\":1}")
            .expect(201)
            .job()
            .get("id")
            .asText();
    String bRunning =
        b.enqueue("{\"type\":\"t\",\"queue\":\"work\"}").expect(201).job().get("id").asText();
    JsonNode claimed =
        b.post("/v1/workers/claim", "{\"queues\":[\"work\"],\"workerId\":\"b-worker\"}")
            .expect(200)
            .body()
            .get("jobs")
            .get(0);
    assertThat(claimed.get("id").asText()).isEqualTo(bRunning);
    long token = claimed.get("token").asLong();

    // A sees nothing of B: every route answers exactly as for an id never used (of the same form)
    String neverCustom = "n-job";
    String neverGenerated = JobIds.random(Instant.parse("2026-01-01T00:00:00Z"));
    for (String[] job : new String[][] {{bId, neverCustom}, {bRunning, neverGenerated}}) {
      String tokenBody = "{\"token\":" + token + "}";
      sameAsNeverUsed("GET", "/v1/jobs/{id}", null, job[0], job[1]);
      sameAsNeverUsed("POST", "/v1/jobs/{id}/cancel", null, job[0], job[1]);
      sameAsNeverUsed("POST", "/v1/jobs/{id}/retry", null, job[0], job[1]);
      sameAsNeverUsed("POST", "/v1/jobs/{id}/complete", tokenBody, job[0], job[1]);
      sameAsNeverUsed(
          "POST",
          "/v1/jobs/{id}/fail",
          "{\"token\":" + token + ",\"error\":\"x\"}",
          job[0],
          job[1]);
      sameAsNeverUsed("POST", "/v1/jobs/{id}/heartbeat", tokenBody, job[0], job[1]);
    }
    assertThat(a.get("/v1/jobs").expect(200).body().get("jobs")).isEmpty();
    assertThat(a.get("/v1/jobs/stats").expect(200).body().get("byState").get("QUEUED").asLong())
        .isZero();
    assertThat(
            a.post("/v1/workers/claim", "{\"queues\":[\"default\",\"work\"],\"workerId\":\"a\"}")
                .expect(200)
                .body()
                .get("jobs"))
        .isEmpty();

    // A may use B's id and B's unique key: no conflict, no trace of B
    a.enqueue("{\"type\":\"t\",\"id\":\"b-job\"}").expect(201);
    b.enqueue(JobApi.uniqueJob("mail", "user-1")).expect(201);
    a.enqueue(JobApi.uniqueJob("mail", "user-1")).expect(201);
    assertThat(
            a.get("/v1/jobs/pending?uniqueKey=mail:key%3Duser-1")
                .expect(200)
                .body()
                .get("queued")
                .asLong())
        .isEqualTo(1);

    // B's jobs are as B left them
    assertThat(b.get("/v1/jobs/" + bId).expect(200).text("state")).isEqualTo("QUEUED");
    assertThat(b.get("/v1/jobs/" + bRunning).expect(200).text("state")).isEqualTo("RUNNING");
    assertThat(b.get("/v1/jobs").expect(200).body().get("jobs")).hasSize(3);
    assertThat(a.get("/v1/jobs").expect(200).body().get("jobs")).hasSize(2);
    assertThat(b.get("/v1/jobs/stats").body().get("duplicatesPreventedTotal").asLong()).isZero();
    b.post("/v1/jobs/" + bRunning + "/complete", "{\"token\":" + token + "}").expect(200);
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("io.idem.server.TestBackends#backendsAndPairs")
  void anIdempotencyKeyOfOneTenantIsNotReplayedToAnother(StoreKind store, TenantPair tenants)
      throws Exception {
    start(store, tenants);
    java.util.Map<String, String> h = java.util.Map.of("Idempotency-Key", "same");
    JobApi.Answer fromA = a.post("/v1/jobs", "{\"type\":\"t\"}", h).expect(201);
    JobApi.Answer fromB = b.post("/v1/jobs", "{\"type\":\"t\"}", h).expect(201);
    assertThat(fromB.raw().headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(fromB.job().get("id")).isNotEqualTo(fromA.job().get("id"));
  }
}
