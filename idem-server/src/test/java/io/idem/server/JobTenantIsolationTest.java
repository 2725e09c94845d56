package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenant A cannot read, complete, cancel, retry or even detect tenant B's jobs: B's ids are 404 for
 * A, B's unique keys do not conflict with A's, and A's lists, stats and claims show only A's jobs.
 */
class JobTenantIsolationTest {

  static final String KEY_A = "key-a-0123456789abcdef";
  static final String KEY_B = "key-b-0123456789abcdef";

  @TempDir Path dir;
  private IdemServer server;
  private JobApi a;
  private JobApi b;

  @BeforeEach
  void start() {
    server =
        IdemServer.start(
            ServerConfig.builder()
                .port(0)
                .dataDir(dir)
                .apiKey(KEY_A, "acme")
                .apiKey(KEY_B, "globex")
                .build());
    a = new JobApi(server, KEY_A);
    b = new JobApi(server, KEY_B);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void aTenantCannotReachAnotherTenantsJobs() throws Exception {
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

    // A sees nothing of B: every route answers "no such job", the same as for an id never used
    a.get("/v1/jobs/" + bId).expect(404);
    a.get("/v1/jobs/" + bRunning).expect(404);
    a.post("/v1/jobs/" + bId + "/cancel", null).expect(404);
    a.post("/v1/jobs/" + bId + "/retry", null).expect(404);
    a.post("/v1/jobs/" + bRunning + "/complete", "{\"token\":" + token + "}").expect(404);
    a.post("/v1/jobs/" + bRunning + "/fail", "{\"token\":" + token + ",\"error\":\"x\"}")
        .expect(404);
    a.post("/v1/jobs/" + bRunning + "/heartbeat", "{\"token\":" + token + "}").expect(404);
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

  @Test
  void anIdempotencyKeyOfOneTenantIsNotReplayedToAnother() throws Exception {
    java.util.Map<String, String> h = java.util.Map.of("Idempotency-Key", "same");
    JobApi.Answer fromA = a.post("/v1/jobs", "{\"type\":\"t\"}", h).expect(201);
    JobApi.Answer fromB = b.post("/v1/jobs", "{\"type\":\"t\"}", h).expect(201);
    assertThat(fromB.raw().headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(fromB.job().get("id")).isNotEqualTo(fromA.job().get("id"));
  }
}
