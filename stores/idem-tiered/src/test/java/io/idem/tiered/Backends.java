package io.idem.tiered;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.idem.postgres.PostgresIdempotencyStore;
import io.idem.spi.IdempotencyStore;
import io.idem.testkit.servers.PostgresServer;
import io.idem.testkit.servers.TestServers;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Real PostgreSQL and Redis for the tiered tests: a fresh schema and cache prefix per store. */
final class Backends implements AutoCloseable {

  private final List<HikariDataSource> pools = new ArrayList<>();

  /** A PostgreSQL store in a new schema. */
  IdempotencyStore postgres(Clock clock) {
    PostgresServer pg = TestServers.postgres();
    String schema = pg.createSchema("tiered");
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(pg.jdbcUrl());
    config.setUsername(pg.user());
    config.setPassword(pg.password());
    config.setMaximumPoolSize(20);
    config.setConnectionTimeout(5_000);
    HikariDataSource pool = new HikariDataSource(config);
    pools.add(pool);
    return PostgresIdempotencyStore.builder(pool).schema(schema).clock(clock).build();
  }

  /** A tiered store over {@code truth} with its own cache prefix. */
  TieredIdempotencyStore.Builder tiered(IdempotencyStore truth, Clock clock) {
    return TieredIdempotencyStore.builder(truth, TestServers.redis().uri())
        .prefix("tiered-" + UUID.randomUUID())
        .clock(clock);
  }

  @Override
  public void close() {
    pools.forEach(HikariDataSource::close);
    pools.clear();
  }
}
