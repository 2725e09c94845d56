package io.idem.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.idem.testkit.servers.PostgresServer;
import io.idem.testkit.servers.RedisServer;
import io.idem.testkit.servers.TestServers;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The servers of the store benchmarks and the clients on them, made the way the stores' own
 * documentation makes them: PostgreSQL 17 and Redis from {@link TestServers} (started on random
 * loopback ports in this JVM, or the servers at {@code IDEM_TEST_PG_URL} / {@code
 * IDEM_TEST_REDIS_URL}); a HikariCP pool of {@link #POOL_SIZE} connections; a Lettuce client with
 * the options a Redis store gives the client it makes itself.
 */
final class StoreServers {

  /** Connections of every benchmark pool: one per thread of the widest benchmark. */
  static final int POOL_SIZE = 16;

  /** The command timeout of the Redis stores, also set on the raw side's client. */
  static final Duration REDIS_TIMEOUT = Duration.ofSeconds(2);

  private StoreServers() {}

  /** A pool of {@link #POOL_SIZE} connections on the shared PostgreSQL, auto-commit on. */
  static HikariDataSource pool(String name) {
    PostgresServer pg = TestServers.postgres();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(pg.jdbcUrl());
    config.setUsername(pg.user());
    config.setPassword(pg.password());
    config.setMaximumPoolSize(POOL_SIZE);
    config.setMinimumIdle(POOL_SIZE);
    config.setPoolName(name);
    config.setAutoCommit(true);
    return new HikariDataSource(config);
  }

  /** A new, empty schema on the shared PostgreSQL; returns its name. */
  static String newSchema(String prefix) {
    return TestServers.postgres().createSchema(prefix);
  }

  /** Runs {@code sql} (one or more statements separated by ';') on a connection of {@code pool}. */
  static void execute(HikariDataSource pool, String sql) throws SQLException {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** The URI of the shared Redis. */
  static RedisURI redisUri() {
    RedisServer redis = TestServers.redis();
    return RedisURI.create(redis.uri());
  }

  /**
   * A Lettuce client with the options a Redis store gives the client it makes: auto-reconnect,
   * commands rejected while disconnected, a timeout on every command, TCP keep-alive.
   */
  static RedisClient redisClient() {
    RedisClient client = RedisClient.create();
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(REDIS_TIMEOUT))
            .socketOptions(
                SocketOptions.builder().connectTimeout(REDIS_TIMEOUT).keepAlive(true).build())
            .build());
    return client;
  }
}
