package io.idem.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.idem.spi.JobStore;
import io.idem.testkit.JobStoreContract;
import io.idem.testkit.SettableClock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/** The whole job contract against a real PostgreSQL, one fresh schema per test. */
class PostgresJobStoreTest extends JobStoreContract {

  private HikariDataSource pool;
  private String schema;

  @Override
  protected JobStore createStore(SettableClock clock) {
    schema = PostgresTests.server().createSchema("idem_jobs");
    pool = PostgresTests.pool(20, Duration.ofSeconds(10));
    return PostgresJobStore.builder(pool).schema(schema).clock(clock).build();
  }

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
    }
  }
}
