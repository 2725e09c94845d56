package io.idem.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.Outcome;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The store benchmarks' setup, one invocation of each method and teardown, called directly against
 * the real servers of {@link io.idem.testkit.servers.TestServers}: they run, and their baselines do
 * what they claim.
 */
class StoreBenchmarksWithoutJmhTest {

  @Test
  void redisBaselinesReadAndWriteWhatIdemDoes() {
    RedisBenchmark b = new RedisBenchmark();
    b.setup();
    try {
      RedisBenchmark.Cursor idemCursor = new RedisBenchmark.Cursor();
      RedisBenchmark.Cursor rawCursor = new RedisBenchmark.Cursor();
      assertThat(b.replayIdem(idemCursor)).isEqualTo("report-0");
      assertThat(b.replayRaw(rawCursor)).isEqualTo("\"report-0\"");
      assertThat(b.replayIdem16Threads(idemCursor)).isEqualTo("report-1");
      assertThat(b.replayRaw16Threads(rawCursor)).isEqualTo("\"report-1\"");

      Outcome<String> o = b.claimCompleteIdem();
      assertThat(o.wasExecuted()).isTrue();
      assertThat(o.value()).isEqualTo("ok");
      assertThat(b.claimCompleteIdem16Threads().wasExecuted()).isTrue();
      assertThat(b.claimCompleteRaw()).isTrue();
      assertThat(b.claimCompleteRaw16Threads()).isTrue();
      // the raw side left its completed value, with a TTL, under its 4th and 6th keys
      RedisCommands<String, String> redis = b.commands();
      String rawKey = b.prefix() + ":raw:fresh:4";
      assertThat(redis.get(rawKey)).isEqualTo("\"ok\"");
      assertThat(redis.pttl(rawKey)).isGreaterThan(Duration.ofMinutes(59).toMillis());
      // and a second SET NX on it is refused, as Idem's second claim is
      assertThat(redis.setnx(rawKey, "again")).isFalse();
    } finally {
      b.tearDown();
    }
  }

  @Test
  void postgresBaselineLeavesTheRowIdemLeaves() throws Exception {
    PostgresBenchmark b = new PostgresBenchmark();
    b.setup();
    try {
      Outcome<String> o = b.claimCompleteIdem();
      assertThat(o.wasExecuted()).isTrue();
      assertThat(o.value()).isEqualTo("ok");
      assertThat(b.claimCompleteRaw()).isTrue();
      assertThat(b.claimCompleteIdem16Threads().wasExecuted()).isTrue();
      assertThat(b.claimCompleteRaw16Threads()).isTrue();

      try (Connection c = b.pool().getConnection()) {
        Map<String, Object> idem = row(c, b.schema() + ".idem_records", "idem:1");
        Map<String, Object> raw = row(c, b.schema() + ".raw_records", "rawk:2");
        assertThat(idem)
            .containsEntry("state", "COMPLETED")
            .containsEntry("result_type", "java.lang.String")
            .containsEntry("result", "\"ok\"")
            .containsEntry("lease_until", null);
        assertThat(raw)
            .containsEntry("state", idem.get("state"))
            .containsEntry("result_type", idem.get("result_type"))
            .containsEntry("result", idem.get("result"))
            .containsEntry("lease_until", null)
            .containsEntry("attempt", idem.get("attempt"));
      }
    } finally {
      b.tearDown();
    }
  }

  @Test
  void lockSidesAcquireAndReleaseForReal() throws Exception {
    LockBenchmark b = new LockBenchmark();
    b.setup(); // checks each side: free -> acquired, held -> refused, released -> acquired
    try {
      LockBenchmark.Names names = new LockBenchmark.Names();
      names.setup(b);
      assertThat(b.postgresIdem(names)).isTrue();
      assertThat(b.postgresShedLock(names)).isTrue();
      assertThat(b.redisIdem(names)).isTrue();
      assertThat(b.redisShedLock(names)).isTrue();
      assertThat(b.postgresIdem4Threads(names)).isTrue();
      assertThat(b.postgresShedLock4Threads(names)).isTrue();
      assertThat(b.redisIdem4Threads(names)).isTrue();
      assertThat(b.redisShedLock4Threads(names)).isTrue();

      // ShedLock's JDBC provider wrote its row, and left it free after the unlock
      try (Connection c = b.pool().getConnection();
          PreparedStatement s =
              c.prepareStatement(
                  "SELECT lock_until <= now() AT TIME ZONE 'UTC' + interval '1 second'"
                      + " FROM "
                      + b.schema()
                      + ".shedlock WHERE name = ?")) {
        s.setString(1, "job-1-1");
        try (ResultSet rs = s.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getBoolean(1)).isTrue();
        }
      }
    } finally {
      b.tearDown();
    }
  }

  private static Map<String, Object> row(Connection c, String table, String key)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT state, attempt, lease_until, result_type, result FROM "
                + table
                + " WHERE key = ?")) {
      s.setString(1, key);
      try (ResultSet rs = s.executeQuery()) {
        assertThat(rs.next()).as("row %s in %s", key, table).isTrue();
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          m.put(rs.getMetaData().getColumnName(i), rs.getObject(i));
        }
        return m;
      }
    }
  }
}
