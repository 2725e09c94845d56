package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.idem.testkit.SettableClock;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A remote worker that dies (stops heartbeating) loses its job to the server's maintenance, which
 * queues it again for another worker; the dead worker's token then changes nothing. The server runs
 * on a settable clock: the lease passes when the test moves it.
 */
class RemoteWorkerRecoveryTest {

  static final String KEY = "key-r-0123456789abcdef";

  @TempDir Path dir;
  private final SettableClock clock = SettableClock.create();
  private IdemServer server;
  private JobApi api;
  private boolean closed;

  @BeforeEach
  void start() {
    System.setProperty(JobRoutes.MAINTENANCE_INTERVAL_PROPERTY, "PT0.2S");
    server = ServerTesting.start(dir, clock, KEY, "acme");
    api = new JobApi(server, KEY);
  }

  @AfterEach
  void stop() {
    System.clearProperty(JobRoutes.MAINTENANCE_INTERVAL_PROPERTY);
    if (!closed) {
      server.close();
    }
  }

  @Test
  void theJobOfADeadWorkerIsQueuedAgainAndItsTokenIsFencedOff() throws Exception {
    String id =
        api.enqueue("{\"type\":\"t\",\"maxAttempts\":3}").expect(201).job().get("id").asText();
    JsonNode first =
        api.post(
                "/v1/workers/claim",
                "{\"queues\":[\"default\"],\"workerId\":\"dies\",\"lease\":\"PT1S\"}")
            .expect(200)
            .body()
            .get("jobs")
            .get(0);
    long deadToken = first.get("token").asLong();

    // the worker dies: no heartbeat; the maintenance task queues the job again after the lease
    assertThat(api.get("/v1/jobs/" + id).text("state")).isEqualTo("RUNNING");
    clock.advance(Duration.ofSeconds(1));
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> api.get("/v1/jobs/" + id).text("state").equals("QUEUED"));
    JsonNode recovered = api.get("/v1/jobs/" + id).expect(200).body();
    assertThat(recovered.get("attempt").asInt()).isEqualTo(1);
    assertThat(recovered.get("lastError").asText()).isNotBlank();

    JsonNode second =
        api.post("/v1/workers/claim", "{\"queues\":[\"default\"],\"workerId\":\"lives\"}")
            .expect(200)
            .body()
            .get("jobs")
            .get(0);
    assertThat(second.get("token").asLong()).isGreaterThan(deadToken);

    JobApi.Answer late =
        api.post("/v1/jobs/" + id + "/complete", "{\"token\":" + deadToken + "}").expect(409);
    assertThat(late.text("detail")).contains("RUNNING with token " + second.get("token"));
    api.post("/v1/jobs/" + id + "/heartbeat", "{\"token\":" + deadToken + "}").expect(409);

    JobApi.Answer done =
        api.post(
                "/v1/jobs/" + id + "/complete",
                "{\"token\":" + second.get("token") + ",\"result\":\"ok\"}")
            .expect(200);
    assertThat(done.text("state")).isEqualTo("SUCCEEDED");
    assertThat(done.text("workerId")).isEqualTo("lives");
    assertThat(done.text("result")).isEqualTo("ok");
  }

  @Test
  void maintenanceStopsWithTheServer() throws Exception {
    api.get("/v1/jobs").expect(200);
    long before = maintenanceThreads();
    assertThat(before).isPositive();
    server.close();
    closed = true;
    await().atMost(Duration.ofSeconds(5)).until(() -> maintenanceThreads() == before - 1);
  }

  private static long maintenanceThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("idem-job-maintenance") && t.isAlive())
        .count();
  }
}
