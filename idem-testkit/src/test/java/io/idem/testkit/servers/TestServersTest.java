package io.idem.testkit.servers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The servers start, answer, and come back after a restart. */
class TestServersTest {

  @Test
  void postgresAnswersAndSurvivesARestart() throws Exception {
    PostgresServer pg = TestServers.postgres();
    assertThat(query(pg, "SELECT 1")).isEqualTo("1");
    String schema = pg.createSchema("servers_test");
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + schema + ".t (v TEXT)");
      s.execute("INSERT INTO " + schema + ".t VALUES ('kept')");
    }
    if (pg.isManaged()) {
      pg.restart();
      assertThat(query(pg, "SELECT v FROM " + schema + ".t")).isEqualTo("kept");
      assertThat(query(pg, "SHOW listen_addresses")).isEqualTo("127.0.0.1");
    }
  }

  @Test
  void redisAnswersPingAndComesBackAfterARestart() throws Exception {
    RedisServer redis = TestServers.redis();
    assertThat(ping(redis)).isEqualTo("+PONG");
    if (redis.isManaged()) {
      redis.stop(true);
      redis.start();
      assertThat(ping(redis)).isEqualTo("+PONG");
    }
  }

  private static String query(PostgresServer pg, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String ping(RedisServer redis) throws Exception {
    try (Socket s = new Socket(redis.host(), redis.port())) {
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return new BufferedReader(
              new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();
    }
  }
}
