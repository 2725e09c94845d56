package io.idem.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.JobStore;
import io.idem.testkit.JobCrashContract;
import io.idem.testkit.servers.ParentWatch;
import io.idem.testkit.servers.PostgresServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** Worker processes on one PostgreSQL schema, killed with kill -9 while they run 1,000 jobs. */
class PostgresJobCrashTest extends JobCrashContract {

  private HikariDataSource pool;
  private String schema;

  private HikariDataSource pool() {
    if (pool == null) {
      schema = PostgresTests.server().createSchema("idem_crash");
      pool = PostgresTests.pool(4, Duration.ofSeconds(10));
    }
    return pool;
  }

  @Override
  protected JobStore parentJobStore() {
    return PostgresJobStore.builder(pool()).schema(schema).build();
  }

  @Override
  protected IdempotencyStore parentIdempotencyStore() {
    return PostgresIdempotencyStore.builder(pool()).schema(schema).build();
  }

  @Override
  protected Class<?> childMain() {
    return Child.class;
  }

  @Override
  protected List<String> childArgs() {
    pool();
    PostgresServer s = PostgresTests.server();
    return List.of(s.jdbcUrl(), s.user(), s.password(), schema);
  }

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  /** A crash-test worker process: args are the worker id, JDBC URL, user, password, schema. */
  public static final class Child {
    private Child() {}

    public static void main(String[] args) throws Exception {
      ParentWatch.haltWhenParentEnds(); // no child outlives the test JVM
      HikariConfig c = new HikariConfig();
      c.setJdbcUrl(args[1]);
      c.setUsername(args[2]);
      c.setPassword(args[3]);
      c.setMaximumPoolSize(12);
      HikariDataSource ds = new HikariDataSource(c);
      runWorker(
          PostgresJobStore.builder(ds).schema(args[4]).applySchema(false).build(),
          PostgresIdempotencyStore.builder(ds).schema(args[4]).applySchema(false).build(),
          args[0]);
    }
  }
}
