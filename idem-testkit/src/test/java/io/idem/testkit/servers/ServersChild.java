package io.idem.testkit.servers;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A JVM for {@link TestServersTest}: starts the managed servers, prints {@code PG <folder>}, {@code
 * REDIS <folder>} and {@code READY}, then waits for a line (or the end) on its input and exits
 * normally, running its shutdown hooks.
 */
public final class ServersChild {

  private ServersChild() {}

  public static void main(String[] args) throws Exception {
    PostgresServer pg = TestServers.postgres();
    RedisServer redis = TestServers.redis();
    System.out.println("PG " + pg.folder());
    System.out.println("REDIS " + redis.folder());
    System.out.println("READY");
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    System.exit(0);
  }
}
