package io.idem.testkit.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The servers start, answer, and come back after a restart; a JVM leaves neither folders nor
 * processes behind, whether it ends normally or is killed (then the next JVM sweeps them); a child
 * JVM ends with the JVM that started it.
 */
class TestServersTest {

  private final List<Process> children = new ArrayList<>();

  @AfterEach
  void killChildren() {
    children.forEach(Process::destroyForcibly);
  }

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

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aJvmThatEndsStopsItsServersAndDeletesTheirFolders() throws Exception {
    TestServers.requireManaged(TestServers.postgres());
    TestServers.requireManaged(TestServers.redis());
    Process child = start(ServersChild.class);
    Leftovers left = readyServers(child);
    assertThat(left.running()).as("the child's servers run").allMatch(ProcessHandle::isAlive);

    child.getOutputStream().close(); // end of input: the child exits and runs its hooks
    assertThat(child.waitFor(90, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).isZero();

    assertThat(left.folders()).noneMatch(Files::exists);
    awaitEnd(left.running()); // stopped by the hooks (pg_ctl returns as the postmaster exits)
  }

  /** Waits until each process has ended and been reaped. */
  private static void awaitEnd(List<ProcessHandle> processes) {
    for (ProcessHandle p : processes) {
      await()
          .atMost(Duration.ofSeconds(30))
          .alias("process " + p.pid() + " ends")
          .until(() -> !p.isAlive());
    }
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void theServersAndFoldersOfAKilledJvmAreSweptByTheNextAndNoOthers() throws Exception {
    PostgresServer mine = TestServers.postgres();
    RedisServer myRedis = TestServers.redis();
    TestServers.requireManaged(mine);
    TestServers.requireManaged(myRedis);
    Process child = start(ServersChild.class);
    Leftovers left = readyServers(child);

    child.destroyForcibly(); // kill -9: no hooks
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(left.folders()).allMatch(Files::isDirectory);
    assertThat(left.running()).as("left behind by the killed JVM").allMatch(ProcessHandle::isAlive);

    List<Path> swept = RunFolders.sweep(RunFolders.tmp());

    assertThat(swept).containsAll(left.folders());
    assertThat(left.folders()).noneMatch(Files::exists);
    awaitEnd(left.running());
    // this JVM's servers are alive: theirs are left alone
    assertThat(swept).doesNotContain(mine.folder(), myRedis.folder());
    assertThat(query(mine, "SELECT 1")).isEqualTo("1");
    assertThat(ping(myRedis)).isEqualTo("+PONG");
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aChildJvmEndsWhenItsParentIsKilled() throws Exception {
    Process parent = start(WatchingParent.class);
    long pid = Long.parseLong(awaitLine(parent, "CHILD "));
    ProcessHandle child = ProcessHandle.of(pid).orElseThrow();
    try {
      assertThat(child.isAlive()).isTrue();

      parent.destroyForcibly();

      await().atMost(Duration.ofSeconds(60)).until(() -> !child.isAlive());
    } finally {
      child.destroyForcibly();
    }
  }

  /** The folders of a child's servers, and the server processes found in them. */
  private record Leftovers(List<Path> folders, List<ProcessHandle> running) {}

  private static Leftovers readyServers(Process child) throws Exception {
    Path pg = Path.of(awaitLine(child, "PG "));
    Path redis = Path.of(awaitLine(child, "REDIS "));
    awaitLine(child, "READY");
    long postmaster =
        Long.parseLong(Files.readAllLines(pg.resolve("data/postmaster.pid")).get(0).trim());
    long redisPid =
        Long.parseLong(Files.readString(redis.resolve(RunFolders.REDIS_PID)).trim().split(" ")[0]);
    return new Leftovers(
        List.of(pg, redis),
        List.of(
            ProcessHandle.of(postmaster).orElseThrow(), ProcessHandle.of(redisPid).orElseThrow()));
  }

  private Process start(Class<?> main) throws Exception {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + RunFolders.tmp(), // where this JVM sweeps
                "-cp",
                System.getProperty("java.class.path"),
                main.getName())
            .redirectErrorStream(true)
            .start();
    children.add(p);
    return p;
  }

  /** The rest of the first line of {@code p}'s output that starts with {@code prefix}. */
  private static String awaitLine(Process p, String prefix) throws Exception {
    BufferedReader out =
        p.inputReader(StandardCharsets.UTF_8); // one reader per process: it buffers
    StringBuilder seen = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith(prefix)) {
        return line.substring(prefix.length());
      }
      seen.append(line).append('\n');
    }
    throw new AssertionError("the child ended without '" + prefix + "':\n" + seen);
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
