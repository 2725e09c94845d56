package io.idem.server;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.idem.job.Jobs;
import io.idem.postgres.PostgresIdempotencyStore;
import io.idem.postgres.PostgresJobStore;
import io.idem.postgres.PostgresLockStore;
import io.idem.postgres.PostgresProcessedSetStore;
import io.idem.redis.RedisIdempotencyStore;
import io.idem.redis.RedisJobStore;
import io.idem.redis.RedisLockStore;
import io.idem.redis.RedisProcessedSetStore;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.JobStore;
import io.idem.sqlite.SqliteDatabase;
import io.idem.tiered.TieredIdempotencyStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Opens each tenant's stores on the configured backend, once, and closes them all at the end. Each
 * tenant has its own {@linkplain TenantNamespace namespace}, never another tenant's:
 *
 * <ul>
 *   <li>SQLITE: one file per tenant, {@code <dataDir>/<namespace>.db};
 *   <li>POSTGRES: one schema per tenant, {@code idem_<namespace>}, through one pool;
 *   <li>REDIS: one key prefix per tenant, {@code idem:<namespace>}, through one client;
 *   <li>TIERED: PostgreSQL as above, with idempotency records cached in Redis under {@code
 *       idem-cache:<namespace>}.
 * </ul>
 *
 * Thread-safe.
 */
final class Backend implements AutoCloseable {

  private final ServerConfig config;
  private final Map<String, TenantStores> tenants = new ConcurrentHashMap<>();
  private @Nullable HikariDataSource pool;
  private @Nullable RedisClient redis;

  Backend(ServerConfig config) {
    this.config = config;
    if (config.postgresUrl() != null
        && (config.store() == ServerConfig.StoreKind.POSTGRES
            || config.store() == ServerConfig.StoreKind.TIERED)) {
      HikariConfig hc = new HikariConfig();
      hc.setJdbcUrl(config.postgresUrl());
      if (config.postgresUser() != null) {
        hc.setUsername(config.postgresUser());
      }
      if (config.postgresPassword() != null) {
        hc.setPassword(config.postgresPassword());
      }
      hc.setMaximumPoolSize(16);
      hc.setPoolName("idem-server");
      this.pool = new HikariDataSource(hc);
    }
    if (config.redisUrl() != null
        && (config.store() == ServerConfig.StoreKind.REDIS
            || config.store() == ServerConfig.StoreKind.TIERED)) {
      this.redis = RedisClient.create(config.redisUrl());
    }
  }

  ServerConfig config() {
    return config;
  }

  /** The stores of {@code tenant}, opened on first use. */
  TenantStores tenant(String tenant) {
    ServerConfig.requireTenant(tenant);
    return tenants.computeIfAbsent(tenant, this::open);
  }

  /** The tenants opened so far. */
  Map<String, TenantStores> opened() {
    return Map.copyOf(tenants);
  }

  private TenantStores open(String tenant) {
    switch (config.store()) {
      case SQLITE -> {
        SqliteDatabase db =
            SqliteDatabase.builder(TenantNamespace.sqliteFile(config.dataDir(), tenant))
                .clock(config.clock())
                .open();
        return new TenantStores(
            tenant,
            db.idempotencyStore(),
            db.jobStore(),
            db.lockStore(),
            db.processedSetStore(),
            jobs(db.jobStore()),
            List.of(db),
            config.clock(),
            config.ticker());
      }
      case POSTGRES, TIERED -> {
        String schema = TenantNamespace.postgresSchema(tenant);
        Clock clock = config.clock();
        IdempotencyStore records =
            PostgresIdempotencyStore.builder(pool).schema(schema).clock(clock).build();
        if (config.store() == ServerConfig.StoreKind.TIERED) {
          records =
              TieredIdempotencyStore.builder(records, config.redisUrl())
                  .prefix(TenantNamespace.cachePrefix(tenant))
                  .clock(clock)
                  .build();
        }
        PostgresJobStore jobs = PostgresJobStore.builder(pool).schema(schema).clock(clock).build();
        return new TenantStores(
            tenant,
            records,
            jobs,
            PostgresLockStore.builder(pool).schema(schema).clock(clock).build(),
            PostgresProcessedSetStore.builder(pool).schema(schema).clock(clock).build(),
            jobs(jobs),
            List.of(records, jobs),
            clock,
            config.ticker());
      }
      case REDIS -> {
        RedisURI uri = RedisURI.create(config.redisUrl());
        String prefix = TenantNamespace.redisPrefix(tenant);
        Clock clock = config.clock();
        RedisJobStore jobs = RedisJobStore.builder(redis, uri).prefix(prefix).clock(clock).build();
        RedisIdempotencyStore records =
            RedisIdempotencyStore.builder(redis, uri).prefix(prefix).clock(clock).build();
        RedisLockStore locks =
            RedisLockStore.builder(redis, uri).prefix(prefix).clock(clock).build();
        RedisProcessedSetStore sets =
            RedisProcessedSetStore.builder(redis, uri).prefix(prefix).clock(clock).build();
        return new TenantStores(
            tenant,
            records,
            jobs,
            locks,
            sets,
            jobs(jobs),
            List.of(records, jobs, locks, sets),
            clock,
            config.ticker());
      }
      default -> throw new IllegalStateException("unknown store " + config.store());
    }
  }

  /** Jobs over {@code store}, on the server's clock and ticker. */
  private Jobs.Builder jobs(JobStore store) {
    return Jobs.builder(store).clock(config.clock()).ticker(config.ticker());
  }

  @Override
  public void close() {
    tenants.values().forEach(TenantStores::close);
    tenants.clear();
    if (pool != null) {
      pool.close();
    }
    if (redis != null) {
      redis.shutdown();
    }
  }
}
