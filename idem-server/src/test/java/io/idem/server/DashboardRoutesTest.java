package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.idem.testkit.SettableClock;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's page and its JSON summary. */
class DashboardRoutesTest {

  static final String KEY_A = "key-a-0123456789abcdef";
  static final String KEY_B = "key-b-0123456789abcdef";

  @TempDir Path dir;
  private final SettableClock clock = SettableClock.create();
  private IdemServer server;

  @BeforeEach
  void start() {
    server = ServerTesting.start(dir, clock, KEY_A, "acme", KEY_B, "globex");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void thePageAndItsFilesNeedNoKey() throws Exception {
    HttpResponse<String> page = ServerTesting.get(server, "/", Map.of());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
    assertThat(page.body())
        .contains("<title>Idem dashboard</title>")
        .contains("/dashboard/dashboard.js")
        .contains("id=\"jobs-total\"");

    HttpResponse<String> js = ServerTesting.get(server, "/dashboard/dashboard.js", Map.of());
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/javascript"));
    assertThat(js.body()).contains("/v1/dashboard");
    assertThat(ServerTesting.get(server, "/dashboard/dashboard.css", Map.of()).statusCode())
        .isEqualTo(200);

    HttpResponse<String> missing = ServerTesting.get(server, "/dashboard/..%2Fpom.xml", Map.of());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("\"status\":404");
  }

  @Test
  void theSummaryNeedsAKeyAndShowsOnlyTheCallersTenant() throws Exception {
    Map<String, String> acme = Map.of("Authorization", "Bearer " + KEY_A);
    Instant enqueued = clock.instant();
    String id = DashboardTesting.enqueueWithDuplicate(server, acme, "welcome-7");
    DashboardTesting.enqueue(server, Map.of("X-Api-Key", KEY_B), "other");

    assertThat(ServerTesting.get(server, "/v1/dashboard", Map.of()).statusCode()).isEqualTo(401);

    clock.advance(Duration.ofMinutes(3));
    HttpResponse<String> r = ServerTesting.get(server, "/v1/dashboard?job=" + id, acme);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode d = server.context().mapper().readTree(r.body());
    assertThat(d.path("tenant").asText()).isEqualTo("acme");
    assertThat(Instant.parse(d.path("now").asText())).isEqualTo(clock.instant());
    assertThat(d.path("stats").path("total").asLong()).isEqualTo(1);
    assertThat(d.path("stats").path("byState").path("QUEUED").asLong()).isEqualTo(1);
    assertThat(d.path("stats").path("byState").size()).isEqualTo(8);
    assertThat(d.path("stats").path("duplicatesPreventedTotal").asLong()).isEqualTo(1);
    JsonNode top = d.path("stats").path("duplicatesPrevented").get(0);
    assertThat(top.path("key").asText()).contains("welcome-7");
    assertThat(top.path("count").asLong()).isEqualTo(1);

    assertThat(d.path("jobs")).hasSize(1);
    JsonNode job = d.path("jobs").get(0);
    assertThat(job.path("id").asText()).isEqualTo(id);
    assertThat(job.path("state").asText()).isEqualTo("QUEUED");
    assertThat(job.path("duplicatesPrevented").asLong()).isEqualTo(1);
    assertThat(Instant.parse(job.path("createdAt").asText())).isEqualTo(enqueued);
    assertThat(job.path("args").path("user").asText()).isEqualTo("welcome-7");
    assertThat(job.path("uniqueKey").asText()).isEqualTo(top.path("key").asText());
    assertThat(d.path("selected").path("id").asText()).isEqualTo(id);

    assertThat(d.path("counters").path("executions").asLong()).isEqualTo(1);
    assertThat(d.path("counters").path("conflicts").asLong()).isEqualTo(1);
    assertThat(d.path("events")).hasSize(1);
    assertThat(d.path("events").get(0).path("what").asText()).isEqualTo("conflict");
    assertThat(d.path("events").get(0).path("kind").asText()).isEqualTo("job");
    assertThat(d.path("events").get(0).path("key").asText()).contains("welcome-7");
    assertThat(Instant.parse(d.path("events").get(0).path("at").asText())).isEqualTo(enqueued);
  }

  @Test
  void eventsAndCountersComeFromServerMetrics() throws Exception {
    ServerMetrics m = server.context().metrics();
    m.replay("acme", "record", "http:POST:/v1/x:k1");
    m.mismatch("acme", "record", "http:POST:/v1/x:k2");
    m.replay("globex", "record", "elsewhere");

    JsonNode d =
        server
            .context()
            .mapper()
            .readTree(
                ServerTesting.get(server, "/v1/dashboard", Map.of("X-Api-Key", KEY_A)).body());

    assertThat(d.path("counters").path("replays").asLong()).isEqualTo(1);
    assertThat(d.path("counters").path("mismatches").asLong()).isEqualTo(1);
    assertThat(d.path("events")).hasSize(2);
    assertThat(d.path("events").get(0).path("what").asText()).isEqualTo("mismatch");
    assertThat(d.path("events").get(1).path("key").asText()).isEqualTo("http:POST:/v1/x:k1");
    assertThat(d.path("selected").isNull()).isTrue();
    assertThat(d.path("jobs")).isEmpty();
  }
}
