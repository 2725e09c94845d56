package io.idem.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each benchmark's setup, one invocation of each method and its teardown, called directly without
 * JMH: the benchmarks run, and their baselines do the same work as Idem.
 */
class BenchmarksWithoutJmhTest {

  @Test
  void theNaiveKeyPeerHashesTheSameJsonAsIdem() throws Exception {
    KeyBuildBenchmark b = new KeyBuildBenchmark();
    b.setup();

    String idem = b.idemKey().value();

    assertThat(idem).matches("report:user=42:[0-9a-f]{64}");
    assertThat(b.jacksonSha256()).isEqualTo(idem);
  }

  @Test
  void keyBuildPartsRun() throws Exception {
    KeyBuildPartsBenchmark b = new KeyBuildPartsBenchmark();
    b.setup();

    assertThat(b.idemKey().value()).isEqualTo(b.jacksonSha256());
    assertThat(b.scopeUser()).hasToString("user=42");
    assertThat(b.canonicalJson()).isEqualTo(b.jacksonJson());
    assertThat(b.idemKey().digest()).isEqualTo(b.sha256Hex());
    assertThat(b.digestGetInstance().getAlgorithm()).isEqualTo("SHA-256");
  }

  @Test
  void replayReturnsWhatTheMapHolds() throws Exception {
    ReplayBenchmark b = new ReplayBenchmark();
    b.keys = 1; // every call takes key 0
    b.setup();
    try {
      assertThat(b.chmGet()).isEqualTo("report-0");
      assertThat(b.idemReplay()).isSameAs(b.chmGet());
      assertThat(b.idemReplayWithPayload()).isEqualTo("report-0");
    } finally {
      b.tearDown();
    }
  }

  @Test
  void replayPartsRun() throws Exception {
    ReplayPartsBenchmark b = new ReplayPartsBenchmark();
    b.keys = 3;
    b.setup();
    try {
      assertThat(b.chmGet()).isEqualTo("report-0");
      assertThat(b.recordWithoutClock()).isEqualTo("report-1");
      assertThat(b.idemReplay()).isEqualTo("report-2");
      assertThat(b.storeGet()).isPresent();
      assertThat(b.idemInspect()).isPresent();
      assertThat(b.clockInstant()).isNotNull();
      assertThat(b.clockMillis()).isPositive();
      assertThat(b.fingerprintOfNull()).hasSize(64);
    } finally {
      b.tearDown();
    }
  }

  @Test
  void sqliteBaselineLeavesTheRowIdemLeaves() throws Exception {
    SqliteClaimCompleteBenchmark b = new SqliteClaimCompleteBenchmark();
    b.setup();
    Path folder = b.fixture().folder;
    Path file = b.fixture().file;
    try {
      Outcome<String> o = b.idemOnce();
      assertThat(o.wasExecuted()).isTrue();
      assertThat(o.value()).isEqualTo("ok");
      assertThat(b.rawJdbc()).isTrue();
      assertThat(b.idemOnce4Threads().wasExecuted()).isTrue();
      assertThat(b.rawJdbc4Threads()).isTrue();
      SqliteClaimCompleteBenchmark.Split split = new SqliteClaimCompleteBenchmark.Split();
      for (int i = 0; i < SqliteClaimCompleteBenchmark.BLOCK + 1; i++) {
        assertThat(b.interleaved(split)).isTrue();
      }
      assertThat(split.idemCalls).isEqualTo(SqliteClaimCompleteBenchmark.BLOCK);
      assertThat(split.rawCalls).isEqualTo(1);
      assertThat(split.idemNanos).isPositive();
      assertThat(split.rawNanos).isPositive();

      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
        Map<String, Object> idem = row(c, "idem:%");
        Map<String, Object> raw = row(c, "rawk:%");
        assertThat(raw).isEqualTo(idem);
        assertThat(idem)
            .containsEntry("state", "COMPLETED")
            .containsEntry("result_type", "java.lang.String")
            .containsEntry("result", "\"ok\"")
            .containsEntry("ttl", 3_600_000L);
      }
    } finally {
      b.tearDown();
    }
    assertThat(Files.exists(folder)).isFalse();
  }

  @Test
  void sqlitePartsRunAndLeaveCompletedRows() throws Exception {
    SqlitePartsBenchmark b = new SqlitePartsBenchmark();
    b.setup();
    try {
      for (int step = 0; step < 7; step++) {
        assertThat(b.step(step)).as("step %s", step).isTrue();
      }
      SqlitePartsBenchmark.Steps steps = new SqlitePartsBenchmark.Steps();
      assertThat(b.steps(steps)).isTrue();
      assertThat(steps.rawJdbcCalls).isEqualTo(1);
      assertThat(steps.rawJdbcNanos).isPositive();
    } finally {
      b.tearDown();
    }
  }

  /** The first row whose key is LIKE {@code pattern}, without key, token and times. */
  private static Map<String, Object> row(Connection c, String pattern) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT state, fingerprint, attempt, lease_until, expires_at - updated_at AS ttl,"
                + " retry_after, result_type, result, error_type, error_message"
                + " FROM idem_records WHERE key LIKE ? ORDER BY key LIMIT 1")) {
      ps.setString(1, pattern);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("a row like %s", pattern).isTrue();
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          Object v = rs.getObject(i);
          row.put(rs.getMetaData().getColumnLabel(i), v instanceof Integer n ? n.longValue() : v);
        }
        return row;
      }
    }
  }
}
