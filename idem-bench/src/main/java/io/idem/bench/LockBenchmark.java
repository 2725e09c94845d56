package io.idem.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.idem.postgres.PostgresLockStore;
import io.idem.redis.RedisLockStore;
import io.idem.spi.LockAttempt;
import io.idem.spi.LockStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.provider.jdbc.JdbcLockProvider;
import net.javacrumbs.shedlock.provider.redis.spring.RedisLockProvider;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * An uncontended lock acquired and released at once, Idem's lock stores against ShedLock on the
 * same servers:
 *
 * <ul>
 *   <li>PostgreSQL: {@link PostgresLockStore#tryAcquire} + {@link PostgresLockStore#release
 *       release(name, token, ZERO)} ({@link #postgresIdem}), against ShedLock's {@link
 *       JdbcLockProvider} ({@code lock(new LockConfiguration(now, name, lockAtMostFor, ZERO))} +
 *       {@link SimpleLock#unlock()}, {@link #postgresShedLock}), both through one HikariCP pool, on
 *       tables in one schema (ShedLock's {@code shedlock} table as its documentation gives it).
 *   <li>Redis: {@link RedisLockStore} ({@link #redisIdem}) against ShedLock's Redis protocol
 *       (ShedLock's own {@code RedisLockProvider} from {@code shedlock-provider-redis-spring},
 *       {@link #redisShedLock}, on Spring Data Redis over Lettuce), each on its own connection of
 *       one Lettuce client.
 * </ul>
 *
 * <p>Every thread rotates over {@value #NAMES} lock names of its own, so each acquire finds its
 * lock free and no two threads meet on a name; every name has been used many times by the end of
 * the warm-up (ShedLock's JDBC provider inserts a name's row on first use, then updates it, as
 * Idem's store does with its {@code INSERT ... ON CONFLICT DO UPDATE}). Idem's side does more per
 * lock: a fencing token incremented on every acquire and returned with the lease, and a release
 * fenced by that token; ShedLock's JDBC unlock updates by name only, and its Redis unlock deletes
 * the key without checking its value.
 *
 * <p>Target (issue): acquire + release throughput at least 1.0 times ShedLock's, on each server, on
 * one thread. The 4-thread pairs are reported against the same target, not required.
 *
 * <p>The setup checks that each side really locks: a free name is acquired, a held name is refused,
 * and once released it is acquired again.
 *
 * <p>Run alone:
 *
 * <pre>{@code
 * java -jar idem-bench/target/idem-bench.jar --include LockBenchmark --warmup 3 --measurement 3
 * }</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LockBenchmark {

  /** Lock names per thread. */
  static final int NAMES = 1000;

  /** The lease of Idem's locks and ShedLock's lockAtMostFor. */
  static final Duration LEASE = Duration.ofSeconds(30);

  static final String OWNER = "bench";

  private @Nullable HikariDataSource pool;
  private String schema = "";
  private @Nullable LockStore postgresLocks;
  private @Nullable LockProvider postgresShedLock;
  private @Nullable RedisClient client;
  private @Nullable LockStore redisLocks;
  private @Nullable LettuceConnectionFactory shedLockConnections;
  private @Nullable LockProvider redisShedLock;
  private final AtomicInteger threads = new AtomicInteger();
  private String prefix = "";

  /** Each thread's own lock names and its place among them. */
  @State(org.openjdk.jmh.annotations.Scope.Thread)
  public static class Names {
    final String[] names = new String[NAMES];
    int next;

    @Setup(Level.Trial)
    public void setup(LockBenchmark bench) {
      int thread = bench.threads.incrementAndGet();
      for (int i = 0; i < NAMES; i++) {
        names[i] = "job-" + thread + "-" + i;
      }
    }

    String next() {
      String n = names[next];
      next = next + 1 == NAMES ? 0 : next + 1;
      return n;
    }
  }

  /** Both servers, both sides on each; checks that every side really locks. */
  @Setup(Level.Trial)
  public void setup() throws SQLException {
    HikariDataSource p = StoreServers.pool("bench-locks");
    pool = p;
    schema = StoreServers.newSchema("bench_locks");
    postgresLocks = PostgresLockStore.builder(p).schema(schema).build();
    StoreServers.execute(
        p,
        "CREATE TABLE "
            + schema
            + ".shedlock (name VARCHAR(64) NOT NULL, lock_until TIMESTAMP NOT NULL,"
            + " locked_at TIMESTAMP NOT NULL, locked_by VARCHAR(255) NOT NULL,"
            + " PRIMARY KEY (name))");
    postgresShedLock = new JdbcLockProvider(p, schema + ".shedlock");

    RedisURI uri = StoreServers.redisUri();
    RedisClient c = StoreServers.redisClient();
    client = c;
    prefix = "bench" + ProcessHandle.current().pid() + "x" + System.nanoTime();
    redisLocks =
        RedisLockStore.builder(c, uri)
            .prefix(prefix)
            .commandTimeout(StoreServers.REDIS_TIMEOUT)
            .build();
    // ShedLock's own Redis provider, on Spring Data Redis over Lettuce (its supported setup)
    LettuceConnectionFactory factory =
        new LettuceConnectionFactory(
            new RedisStandaloneConfiguration(uri.getHost(), uri.getPort()));
    factory.afterPropertiesSet();
    factory.start();
    shedLockConnections = factory;
    redisShedLock = new RedisLockProvider(factory, "bench", prefix + "-shedlock");

    String check = "check-" + prefix;
    checkExclusive(postgresLocks, check);
    checkExclusive(redisLocks, check);
    checkExclusive(postgresShedLock, check);
    checkExclusive(redisShedLock, check);
  }

  /** A free name is acquired, refused while held, and acquired again once released. */
  static void checkExclusive(LockStore locks, String name) {
    LockAttempt first = locks.tryAcquire(name, OWNER, LEASE);
    require(first.acquired(), locks + " did not acquire the free lock " + name);
    require(
        !locks.tryAcquire(name, "other", LEASE).acquired(),
        locks + " acquired " + name + " while it was held");
    require(locks.release(name, first.lease().token(), Duration.ZERO), locks + " did not release");
    LockAttempt again = locks.tryAcquire(name, OWNER, LEASE);
    require(again.acquired(), locks + " did not acquire " + name + " after its release");
    locks.release(name, again.lease().token(), Duration.ZERO);
  }

  /** The same for a ShedLock provider. */
  static void checkExclusive(LockProvider locks, String name) {
    Optional<SimpleLock> first = locks.lock(config(name));
    require(first.isPresent(), locks + " did not lock the free name " + name);
    require(locks.lock(config(name)).isEmpty(), locks + " locked " + name + " while it was held");
    first.get().unlock();
    Optional<SimpleLock> again = locks.lock(config(name));
    require(again.isPresent(), locks + " did not lock " + name + " after its unlock");
    again.get().unlock();
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }

  static LockConfiguration config(String name) {
    return new LockConfiguration(ClockProvider.now(), name, LEASE, Duration.ZERO);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws SQLException {
    if (redisLocks != null) {
      redisLocks.close();
      redisLocks = null;
    }
    if (shedLockConnections != null) {
      shedLockConnections.destroy();
      shedLockConnections = null;
    }
    if (client != null) {
      client.shutdown();
      client = null;
    }
    if (pool != null) {
      try {
        StoreServers.execute(pool, "DROP SCHEMA " + schema + " CASCADE");
      } finally {
        pool.close();
        pool = null;
      }
    }
  }

  @Benchmark
  @Threads(1)
  public boolean postgresIdem(Names names) {
    return acquireRelease(postgresLocks, names.next());
  }

  @Benchmark
  @Threads(1)
  public boolean postgresShedLock(Names names) {
    return lockUnlock(postgresShedLock, names.next());
  }

  @Benchmark
  @Threads(1)
  public boolean redisIdem(Names names) {
    return acquireRelease(redisLocks, names.next());
  }

  @Benchmark
  @Threads(1)
  public boolean redisShedLock(Names names) {
    return lockUnlock(redisShedLock, names.next());
  }

  @Benchmark
  @Threads(4)
  public boolean postgresIdem4Threads(Names names) {
    return acquireRelease(postgresLocks, names.next());
  }

  @Benchmark
  @Threads(4)
  public boolean postgresShedLock4Threads(Names names) {
    return lockUnlock(postgresShedLock, names.next());
  }

  @Benchmark
  @Threads(4)
  public boolean redisIdem4Threads(Names names) {
    return acquireRelease(redisLocks, names.next());
  }

  @Benchmark
  @Threads(4)
  public boolean redisShedLock4Threads(Names names) {
    return lockUnlock(redisShedLock, names.next());
  }

  /** {@link #postgresIdem} and {@link #postgresShedLock} alternately, each timed. */
  @Benchmark
  @Threads(1)
  public boolean interleavedPostgres(Sides sides, Names names) throws Exception {
    return sides.next(
        () -> acquireRelease(postgresLocks, names.next()),
        () -> lockUnlock(postgresShedLock, names.next()));
  }

  /** {@link #redisIdem} and {@link #redisShedLock} alternately, each timed. */
  @Benchmark
  @Threads(1)
  public boolean interleavedRedis(Sides sides, Names names) throws Exception {
    return sides.next(
        () -> acquireRelease(redisLocks, names.next()),
        () -> lockUnlock(redisShedLock, names.next()));
  }

  static boolean acquireRelease(@Nullable LockStore locks, String name) {
    if (locks == null) {
      throw new IllegalStateException("setup() has not run");
    }
    LockAttempt a = locks.tryAcquire(name, OWNER, LEASE);
    if (!a.acquired()) {
      throw new IllegalStateException("lock " + name + " was not free");
    }
    return locks.release(name, a.lease().token(), Duration.ZERO);
  }

  static boolean lockUnlock(@Nullable LockProvider locks, String name) {
    if (locks == null) {
      throw new IllegalStateException("setup() has not run");
    }
    SimpleLock lock =
        locks
            .lock(config(name))
            .orElseThrow(() -> new IllegalStateException("lock " + name + " was not free"));
    lock.unlock();
    return true;
  }

  String schema() {
    return schema;
  }

  HikariDataSource pool() {
    HikariDataSource p = pool;
    if (p == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return p;
  }

  String prefix() {
    return prefix;
  }
}
