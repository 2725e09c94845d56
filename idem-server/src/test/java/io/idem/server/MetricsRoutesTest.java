package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.testkit.SettableClock;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics}: Prometheus text with the counters and the jobs-by-state gauges. */
class MetricsRoutesTest {

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
  void scrapeShowsJobsByStateAndCountersPerTenantWithoutAKey() throws Exception {
    Map<String, String> acme = Map.of("Authorization", "Bearer " + KEY_A);
    DashboardTesting.enqueueWithDuplicate(server, acme, "welcome-1");
    DashboardTesting.enqueue(server, acme, "welcome-2");
    DashboardTesting.enqueueWithDuplicate(server, Map.of("X-Api-Key", KEY_B), "welcome-1");

    HttpResponse<String> r = ServerTesting.get(server, "/metrics", Map.of());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
    String text = r.body();
    assertThat(text).contains("# TYPE idem_jobs gauge");
    assertThat(sample(text, "idem_jobs", "state=\"QUEUED\"", "tenant=\"acme\"")).isEqualTo(2.0);
    assertThat(sample(text, "idem_jobs", "state=\"RUNNING\"", "tenant=\"acme\"")).isEqualTo(0.0);
    assertThat(sample(text, "idem_jobs", "state=\"QUEUED\"", "tenant=\"globex\"")).isEqualTo(1.0);
    assertThat(sample(text, "idem_jobs_duplicates_prevented", "tenant=\"acme\"")).isEqualTo(1.0);
    assertThat(sample(text, "idem_jobs_duplicates_prevented", "tenant=\"globex\"")).isEqualTo(1.0);
    assertThat(sample(text, "idem_executions_total", "kind=\"job\"", "tenant=\"acme\""))
        .isEqualTo(2.0);
    assertThat(sample(text, "idem_conflicts_total", "kind=\"job\"", "tenant=\"globex\""))
        .isEqualTo(1.0);

    // The gauges are read at scrape time, at most once per maximum age (on the server's ticker):
    // a later job shows at the first scrape after that.
    DashboardTesting.enqueue(server, acme, "welcome-3");
    String cached = ServerTesting.get(server, "/metrics", Map.of()).body();
    assertThat(sample(cached, "idem_jobs", "state=\"QUEUED\"", "tenant=\"acme\"")).isEqualTo(2.0);
    clock.advance(Duration.ofMillis(MetricsRoutes.STATS_MAX_AGE_MILLIS + 1));
    String again = ServerTesting.get(server, "/metrics", Map.of()).body();
    assertThat(sample(again, "idem_jobs", "state=\"QUEUED\"", "tenant=\"acme\"")).isEqualTo(3.0);
  }

  @Test
  void serverCountersAreScraped() throws Exception {
    ServerMetrics m = server.context().metrics();
    m.execution("acme", "record");
    m.replay("acme", "record", "k1");
    m.replay("acme", "record", "k1");
    m.conflict("acme", "job", "email:key=1");
    m.mismatch("acme", "record", "k2");
    m.lockWait("acme", java.time.Duration.ofMillis(15));

    String text = ServerTesting.get(server, "/metrics", Map.of()).body();

    assertThat(sample(text, "idem_executions_total", "kind=\"record\"", "tenant=\"acme\""))
        .isEqualTo(1.0);
    assertThat(sample(text, "idem_replays_total", "kind=\"record\"", "tenant=\"acme\""))
        .isEqualTo(2.0);
    assertThat(sample(text, "idem_conflicts_total", "kind=\"job\"", "tenant=\"acme\""))
        .isEqualTo(1.0);
    assertThat(sample(text, "idem_mismatches_total", "kind=\"record\"", "tenant=\"acme\""))
        .isEqualTo(1.0);
    assertThat(sample(text, "idem_lock_wait_seconds_count", "tenant=\"acme\"")).isEqualTo(1.0);
  }

  /** The value of the sample {@code name{labels...}} in {@code text}; fails when absent. */
  static double sample(String text, String name, String... labels) {
    Pattern line = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$");
    Matcher m = line.matcher(text);
    while (m.find()) {
      boolean all = true;
      for (String l : labels) {
        all &= ("," + m.group(1) + ",").contains("," + l + ",");
      }
      if (all) {
        return Double.parseDouble(m.group(2));
      }
    }
    throw new AssertionError(
        "no sample " + name + " with " + String.join(",", labels) + " in:\n" + text);
  }
}
