package io.idem.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.idem.Idem;
import io.idem.IdempotencyKey;
import io.idem.Outcome;
import io.idem.postgres.PostgresIdempotencyStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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

/**
 * A first call on PostgreSQL, claim and complete: {@code idem.once(freshKey, null, () -> "ok")} on
 * {@link PostgresIdempotencyStore} ({@link #claimCompleteIdem}), against raw JDBC through the same
 * HikariCP pool of {@value StoreServers#POOL_SIZE} connections ({@link #claimCompleteRaw}): {@code
 * INSERT INTO raw_records ... ON CONFLICT (key) DO NOTHING} of the IN_PROGRESS row, then {@code
 * UPDATE raw_records SET state = 'COMPLETED', result = ?, ... WHERE key = ? AND token = ?}, each on
 * a connection taken from the pool and given back, in auto-commit, as the store runs its steps.
 * {@code raw_records} is made {@code LIKE idem_records INCLUDING ALL} in the store's schema (same
 * columns, primary key, collation and expiry index).
 *
 * <p>Per Idem call the store runs two statements: the claim ({@code WITH claimed AS (INSERT ...
 * nextval(...) ... ON CONFLICT DO UPDATE ... WHERE <claimable> RETURNING *) SELECT ... UNION ALL
 * SELECT ...}) and the completing {@code UPDATE}: two round trips and two commits, as the baseline.
 * The baseline's token comes from a Java counter instead of the sequence.
 *
 * <p>Target (issue): {@link #claimCompleteIdem} at least 0.8 times the throughput of {@link
 * #claimCompleteRaw}, on 1 and on 16 threads. On a 2-core machine the server, the benchmark and the
 * pool share the two cores; 16 threads measure commits in parallel (group commit), not CPU.
 *
 * <p>Run alone:
 *
 * <pre>{@code
 * java -jar idem-bench/target/idem-bench.jar --include PostgresBenchmark --warmup 3 --measurement 3
 * }</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PostgresBenchmark {

  static final Duration LEASE = Duration.ofMinutes(5);
  static final Duration TTL = Duration.ofHours(1);

  private static final Callable<String> OK = () -> "ok";

  private @Nullable HikariDataSource pool;
  private @Nullable Idem idem;
  private String schema = "";
  private String insertSql = "";
  private String completeSql = "";
  private final AtomicLong counter = new AtomicLong();

  /** Opens the pool, builds the store (which applies its schema) and the raw table beside it. */
  @Setup(Level.Trial)
  public void setup() throws SQLException {
    HikariDataSource p = StoreServers.pool("bench-postgres");
    pool = p;
    schema = StoreServers.newSchema("bench_pg");
    PostgresIdempotencyStore store = PostgresIdempotencyStore.builder(p).schema(schema).build();
    idem = Idem.builder(store).noBackgroundPurge().build();
    StoreServers.execute(
        p,
        "CREATE TABLE " + schema + ".raw_records (LIKE " + schema + ".idem_records INCLUDING ALL)");
    insertSql =
        "INSERT INTO "
            + schema
            + ".raw_records (key, state, fingerprint, token, attempt, lease_until, expires_at,"
            + " created_at, updated_at) VALUES (?, 'IN_PROGRESS', ?, ?, 1, ?, ?, ?, ?)"
            + " ON CONFLICT (key) DO NOTHING";
    completeSql =
        "UPDATE "
            + schema
            + ".raw_records SET state = 'COMPLETED', result_type = ?, result = ?,"
            + " lease_until = NULL, expires_at = ?, updated_at = ?"
            + " WHERE key = ? AND state = 'IN_PROGRESS' AND token = ?";
  }

  @TearDown(Level.Trial)
  public void tearDown() throws SQLException {
    if (idem != null) {
      idem.close();
      idem = null;
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

  /** Idem: claim and complete a new key, one thread. */
  @Benchmark
  @Threads(1)
  public Outcome<String> claimCompleteIdem() {
    return once();
  }

  /** Raw JDBC: insert and complete a new row, one thread. */
  @Benchmark
  @Threads(1)
  public boolean claimCompleteRaw() throws SQLException {
    return insertAndComplete();
  }

  /** {@link #claimCompleteIdem} on 16 threads sharing the pool. */
  @Benchmark
  @Threads(16)
  public Outcome<String> claimCompleteIdem16Threads() {
    return once();
  }

  /** {@link #claimCompleteRaw} on 16 threads sharing the pool. */
  @Benchmark
  @Threads(16)
  public boolean claimCompleteRaw16Threads() throws SQLException {
    return insertAndComplete();
  }

  /** {@link #claimCompleteIdem} and {@link #claimCompleteRaw} alternately, each timed. */
  @Benchmark
  @Threads(1)
  public boolean interleaved(Sides sides) throws Exception {
    return sides.next(() -> once().wasExecuted(), this::insertAndComplete);
  }

  Outcome<String> once() {
    return idem().once(IdempotencyKey.readable("idem:" + counter.incrementAndGet()), null, OK);
  }

  /** The baseline: two statements, each on its own pool checkout, in auto-commit. */
  boolean insertAndComplete() throws SQLException {
    long n = counter.incrementAndGet();
    String key = "rawk:" + n;
    long now = System.currentTimeMillis();
    HikariDataSource p = pool();
    int inserted;
    try (Connection c = p.getConnection();
        PreparedStatement s = c.prepareStatement(insertSql)) {
      s.setString(1, key);
      s.setString(2, "none");
      s.setLong(3, n);
      s.setLong(4, now + LEASE.toMillis());
      s.setLong(5, now + TTL.toMillis());
      s.setLong(6, now);
      s.setLong(7, now);
      inserted = s.executeUpdate();
    }
    if (inserted != 1) {
      return false;
    }
    try (Connection c = p.getConnection();
        PreparedStatement s = c.prepareStatement(completeSql)) {
      s.setString(1, "java.lang.String");
      s.setString(2, "\"ok\"");
      s.setLong(3, now + TTL.toMillis());
      s.setLong(4, System.currentTimeMillis());
      s.setString(5, key);
      s.setLong(6, n);
      return s.executeUpdate() == 1;
    }
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

  Idem idem() {
    Idem i = idem;
    if (i == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return i;
  }
}
