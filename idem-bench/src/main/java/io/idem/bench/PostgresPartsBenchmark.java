package io.idem.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.idem.Idem;
import io.idem.IdemPolicy;
import io.idem.IdempotencyKey;
import io.idem.PayloadFingerprint;
import io.idem.jdbc.SqlStatements;
import io.idem.lock.LockManager;
import io.idem.postgres.PostgresIdempotencyStore;
import io.idem.postgres.PostgresLockStore;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.ClaimStatus;
import io.idem.spi.LockStore;
import io.idem.spi.StoredResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.javacrumbs.shedlock.core.DefaultLockingTaskExecutor;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.LockingTaskExecutor;
import net.javacrumbs.shedlock.provider.jdbc.JdbcLockProvider;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Diagnostics, not part of the default suite: {@link PostgresBenchmark} and {@link
 * LockBenchmark#postgresIdem} taken apart on one thread, each step adding one thing. Every step
 * takes a connection from the same HikariCP pool per statement, in auto-commit, as the stores do;
 * the raw steps run the stores' own statements (loaded from their resources) with plain JDBC.
 *
 * <p>{@link #claimSteps}, a claim and complete of a new key:
 *
 * <ol>
 *   <li>{@code rawJdbc}: the baseline of {@link PostgresBenchmark}, {@code INSERT ... ON CONFLICT
 *       DO NOTHING} with a Java token + the completing {@code UPDATE};
 *   <li>{@code rawClaimStatement}: the store's claim statement ({@code record.claim}: the upsert
 *       CTE, which a claim ran for every key before the plain insert came first) + the store's
 *       {@code record.complete};
 *   <li>{@code rawStoreStatements}: the statements the store runs for a new key, {@code
 *       record.insert} ({@code INSERT ... nextval(...) ... ON CONFLICT DO NOTHING RETURNING token})
 *       + {@code record.complete};
 *   <li>{@code storeClaimComplete}: {@code store.claim} + {@code store.complete}: the same through
 *       the store's Java;
 *   <li>{@code idemOnceNoHeartbeat}: {@code idem.once} with heartbeats off;
 *   <li>{@code idemOnce}: {@code idem.once} with the default policy.
 * </ol>
 *
 * <p>{@link #replaySteps}, a claim of one of {@value #KEYS} completed keys (a duplicate call):
 *
 * <ol>
 *   <li>{@code rawSelect}: the baseline, {@code record.select} of the row;
 *   <li>{@code rawClaimStatement}: {@code record.claim} on the completed row (the one statement a
 *       duplicate cost before; its conflict arm locks the row, so it writes WAL and takes a
 *       transaction id even though it changes nothing);
 *   <li>{@code rawStoreStatements}: what the store runs now, {@code record.insert} (conflicts,
 *       writes nothing) + {@code record.select};
 *   <li>{@code storeClaim}: {@code store.claim};
 *   <li>{@code idemReplay}: {@code idem.once}, the stored result decoded.
 * </ol>
 *
 * <p>{@link #lockSteps}, an uncontended lock acquired and released (names used before):
 *
 * <ol>
 *   <li>{@code shedLock}: the baseline, ShedLock's {@code JdbcLockProvider} {@code lock} + {@code
 *       unlock};
 *   <li>{@code rawAcquireStatement}: the store's upsert CTE ({@code lock.acquire}, which every
 *       acquisition ran before the plain update came first) + {@code lock.release};
 *   <li>{@code rawStoreStatements}: what the store runs now, {@code lock.take} ({@code UPDATE ...
 *       RETURNING token}) + {@code lock.release};
 *   <li>{@code storeAcquireRelease}: {@code PostgresLockStore.tryAcquire} + {@code release(name,
 *       token, ZERO)};
 *   <li>{@code managerTryRun}: {@code LockManager.tryRun(name, lease, ZERO, task)}: plus the
 *       manager (checks, keep-alive registration);
 *   <li>{@code shedLockExecutor}: ShedLock's own task level, {@code
 *       DefaultLockingTaskExecutor.executeWithLock}: the peer of {@code managerTryRun}.
 * </ol>
 *
 * <p>The steps of a method run in turn in one loop, {@value #BLOCK} calls at a time, each timed, so
 * that they share the machine's load of the moment; {@link RunBenchmarks} reports each as {@code
 * method:<step>} against the method's first step.
 *
 * <pre>{@code
 * java -jar idem-bench/target/idem-bench.jar --include PostgresPartsBenchmark
 * }</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
public class PostgresPartsBenchmark {

  /** Calls of one step before the next step's turn. */
  static final int BLOCK = 25;

  /** Completed keys for the replay steps, and lock names for the lock steps. */
  static final int KEYS = 1000;

  static final Duration LEASE = IdemPolicy.DEFAULT_LEASE;
  static final Duration TTL = PostgresBenchmark.TTL;
  private static final StoredResult OK = new StoredResult("java.lang.String", "\"ok\"", null);
  private static final IdemPolicy POLICY = IdemPolicy.builder().ttl(TTL).build();
  private static final IdemPolicy POLICY_NO_HEARTBEAT =
      IdemPolicy.builder().ttl(TTL).noHeartbeat().build();

  private final PostgresBenchmark raw = new PostgresBenchmark();
  private @Nullable PostgresIdempotencyStore store;
  private @Nullable Idem idem;
  private @Nullable LockStore locks;
  private @Nullable LockManager manager;
  private @Nullable LockProvider shedLock;
  private @Nullable LockingTaskExecutor shedLockExecutor;
  private Named insert = Named.NONE;
  private Named claim = Named.NONE;
  private Named select = Named.NONE;
  private Named complete = Named.NONE;
  private Named lockTake = Named.NONE;
  private Named lockAcquire = Named.NONE;
  private Named lockRelease = Named.NONE;
  private IdempotencyKey[] replayKeys = new IdempotencyKey[0];
  private String[] lockNames = new String[0];
  private final AtomicLong counter = new AtomicLong();

  @Setup(Level.Trial)
  public void setup() throws SQLException {
    raw.setup();
    HikariDataSource pool = raw.pool();
    String schema = raw.schema();
    // the store of raw.idem(), built on the same pool and schema (the schema is applied already)
    PostgresIdempotencyStore s =
        PostgresIdempotencyStore.builder(pool).schema(schema).applySchema(false).build();
    store = s;
    idem = Idem.builder(s).noBackgroundPurge().build();
    PostgresLockStore l = PostgresLockStore.builder(pool).schema(schema).applySchema(false).build();
    locks = l;
    manager = LockManager.create(l, LockBenchmark.OWNER);
    StoreServers.execute(
        pool,
        "CREATE TABLE "
            + schema
            + ".shedlock (name VARCHAR(64) NOT NULL, lock_until TIMESTAMP NOT NULL,"
            + " locked_at TIMESTAMP NOT NULL, locked_by VARCHAR(255) NOT NULL,"
            + " PRIMARY KEY (name))");
    JdbcLockProvider provider = new JdbcLockProvider(pool, schema + ".shedlock");
    shedLock = provider;
    shedLockExecutor = new DefaultLockingTaskExecutor(provider);
    insert = Named.load("idempotency.sql", "record.insert", schema);
    claim = Named.load("idempotency.sql", "record.claim", schema);
    select = Named.load("idempotency.sql", "record.select", schema);
    complete = Named.load("idempotency.sql", "record.complete", schema);
    lockTake = Named.load("locks.sql", "lock.take", schema);
    lockAcquire = Named.load("locks.sql", "lock.acquire", schema);
    lockRelease = Named.load("locks.sql", "lock.release", schema);
    replayKeys = new IdempotencyKey[KEYS];
    lockNames = new String[KEYS];
    for (int k = 0; k < KEYS; k++) {
      replayKeys[k] = IdempotencyKey.readable("replay:" + k);
      if (!idem().once(replayKeys[k], null, POLICY, () -> "ok").wasExecuted()) {
        throw new IllegalStateException("replay key " + k + " was used before");
      }
      lockNames[k] = "job-" + k;
      // every name has its row on both sides, as after the warm-up of LockBenchmark
      LockBenchmark.acquireRelease(l, lockNames[k]);
      LockBenchmark.lockUnlock(provider, lockNames[k]);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws SQLException {
    if (manager != null) {
      manager.close();
      manager = null;
    }
    if (idem != null) {
      idem.close();
      idem = null;
    }
    raw.tearDown();
  }

  // ---- claim and complete ---------------------------------------------------------------------

  /** Time and calls of each claim-and-complete step in an iteration. */
  @State(org.openjdk.jmh.annotations.Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class ClaimSteps {
    public long rawJdbcNanos;
    public long rawJdbcCalls;
    public long rawClaimStatementNanos;
    public long rawClaimStatementCalls;
    public long rawStoreStatementsNanos;
    public long rawStoreStatementsCalls;
    public long storeClaimCompleteNanos;
    public long storeClaimCompleteCalls;
    public long idemOnceNoHeartbeatNanos;
    public long idemOnceNoHeartbeatCalls;
    public long idemOnceNanos;
    public long idemOnceCalls;
    long invocations;

    @Setup(Level.Iteration)
    public void reset() {
      rawJdbcNanos = 0;
      rawJdbcCalls = 0;
      rawClaimStatementNanos = 0;
      rawClaimStatementCalls = 0;
      rawStoreStatementsNanos = 0;
      rawStoreStatementsCalls = 0;
      storeClaimCompleteNanos = 0;
      storeClaimCompleteCalls = 0;
      idemOnceNoHeartbeatNanos = 0;
      idemOnceNoHeartbeatCalls = 0;
      idemOnceNanos = 0;
      idemOnceCalls = 0;
    }
  }

  /** One call of the claim-and-complete step whose turn it is, timed. */
  @Benchmark
  public boolean claimSteps(ClaimSteps s) throws SQLException {
    int step = (int) ((s.invocations++ / BLOCK) % 6);
    long t0 = System.nanoTime();
    boolean ok = claimStep(step);
    long elapsed = System.nanoTime() - t0;
    switch (step) {
      case 0 -> {
        s.rawJdbcNanos += elapsed;
        s.rawJdbcCalls++;
      }
      case 1 -> {
        s.rawClaimStatementNanos += elapsed;
        s.rawClaimStatementCalls++;
      }
      case 2 -> {
        s.rawStoreStatementsNanos += elapsed;
        s.rawStoreStatementsCalls++;
      }
      case 3 -> {
        s.storeClaimCompleteNanos += elapsed;
        s.storeClaimCompleteCalls++;
      }
      case 4 -> {
        s.idemOnceNoHeartbeatNanos += elapsed;
        s.idemOnceNoHeartbeatCalls++;
      }
      default -> {
        s.idemOnceNanos += elapsed;
        s.idemOnceCalls++;
      }
    }
    return ok;
  }

  /** Claim-and-complete step {@code step} (0 to 5, in the order of the class comment). */
  boolean claimStep(int step) throws SQLException {
    long n = counter.incrementAndGet();
    return switch (step) {
      case 0 -> raw.insertAndComplete();
      case 1 -> {
        String key = "idem:raw-cte:" + n;
        yield complete(key, claimToken(claim, key));
      }
      case 2 -> {
        String key = "idem:raw-insert:" + n;
        yield complete(key, claimToken(insert, key));
      }
      case 3 -> {
        String key = "idem:store:" + n;
        ClaimResult c = store().claim(request(key));
        yield store().complete(key, c.record().token(), OK, TTL);
      }
      case 4 ->
          idem()
              .once(IdempotencyKey.readable("fresh:" + n), null, POLICY_NO_HEARTBEAT, () -> "ok")
              .wasExecuted();
      case 5 ->
          idem()
              .once(IdempotencyKey.readable("fresh:" + n), null, POLICY, () -> "ok")
              .wasExecuted();
      default -> throw new IllegalArgumentException("no step " + step);
    };
  }

  /** {@code statement} (record.insert or record.claim) for a new key: the token it returned. */
  long claimToken(Named statement, String key) throws SQLException {
    long now = System.currentTimeMillis();
    try (Connection c = raw.pool().getConnection();
        PreparedStatement ps = c.prepareStatement(statement.sql())) {
      statement.set(ps, "key", key);
      statement.set(ps, "fingerprint", PayloadFingerprint.NONE);
      statement.set(ps, "lease_until", now + LEASE.toMillis());
      statement.set(ps, "expires_at", now + Math.max(TTL.toMillis(), LEASE.toMillis()));
      statement.set(ps, "now", now);
      statement.setIfPresent(ps, "max_attempts", IdemPolicy.DEFAULT_MAX_ATTEMPTS);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException(statement.name() + " did not claim " + key);
        }
        return statement == claim ? rs.getLong(4) : rs.getLong(1);
      }
    }
  }

  /** {@code record.complete} of {@code key} with {@code token}. */
  boolean complete(String key, long token) throws SQLException {
    long now = System.currentTimeMillis();
    try (Connection c = raw.pool().getConnection();
        PreparedStatement ps = c.prepareStatement(complete.sql())) {
      complete.set(ps, "expires_at", now + TTL.toMillis());
      complete.set(ps, "result_type", OK.type());
      complete.set(ps, "result", OK.encoded());
      complete.set(ps, "now", now);
      complete.set(ps, "key", key);
      complete.set(ps, "token", token);
      return ps.executeUpdate() == 1;
    }
  }

  // ---- replay ---------------------------------------------------------------------------------

  /** Time and calls of each replay step in an iteration. */
  @State(org.openjdk.jmh.annotations.Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class ReplaySteps {
    public long rawSelectNanos;
    public long rawSelectCalls;
    public long rawClaimStatementNanos;
    public long rawClaimStatementCalls;
    public long rawStoreStatementsNanos;
    public long rawStoreStatementsCalls;
    public long storeClaimNanos;
    public long storeClaimCalls;
    public long idemReplayNanos;
    public long idemReplayCalls;
    long invocations;
    int next;

    @Setup(Level.Iteration)
    public void reset() {
      rawSelectNanos = 0;
      rawSelectCalls = 0;
      rawClaimStatementNanos = 0;
      rawClaimStatementCalls = 0;
      rawStoreStatementsNanos = 0;
      rawStoreStatementsCalls = 0;
      storeClaimNanos = 0;
      storeClaimCalls = 0;
      idemReplayNanos = 0;
      idemReplayCalls = 0;
    }

    int nextIndex() {
      int i = next;
      next = i + 1 == KEYS ? 0 : i + 1;
      return i;
    }
  }

  /** One call of the replay step whose turn it is, timed. */
  @Benchmark
  public boolean replaySteps(ReplaySteps s) throws SQLException {
    int step = (int) ((s.invocations++ / BLOCK) % 5);
    int k = s.nextIndex();
    long t0 = System.nanoTime();
    boolean ok = replayStep(step, k);
    long elapsed = System.nanoTime() - t0;
    switch (step) {
      case 0 -> {
        s.rawSelectNanos += elapsed;
        s.rawSelectCalls++;
      }
      case 1 -> {
        s.rawClaimStatementNanos += elapsed;
        s.rawClaimStatementCalls++;
      }
      case 2 -> {
        s.rawStoreStatementsNanos += elapsed;
        s.rawStoreStatementsCalls++;
      }
      case 3 -> {
        s.storeClaimNanos += elapsed;
        s.storeClaimCalls++;
      }
      default -> {
        s.idemReplayNanos += elapsed;
        s.idemReplayCalls++;
      }
    }
    return ok;
  }

  /** Replay step {@code step} (0 to 4, in the order of the class comment) on key {@code k}. */
  boolean replayStep(int step, int k) throws SQLException {
    String key = replayKeys[k].value();
    return switch (step) {
      case 0 -> "COMPLETED".equals(selectState(key));
      case 1 -> "COMPLETED".equals(claimState(key));
      case 2 -> {
        if (insertConflicts(key)) {
          yield "COMPLETED".equals(selectState(key));
        }
        throw new IllegalStateException("the insert of completed key " + key + " did not conflict");
      }
      case 3 -> store().claim(request(key)).status() == ClaimStatus.COMPLETED;
      case 4 -> !idem().once(replayKeys[k], null, POLICY, () -> "again").wasExecuted();
      default -> throw new IllegalArgumentException("no step " + step);
    };
  }

  /** {@code record.select} of {@code key}: the state read, null when there is no row. */
  @Nullable String selectState(String key) throws SQLException {
    try (Connection c = raw.pool().getConnection();
        PreparedStatement ps = c.prepareStatement(select.sql())) {
      select.set(ps, "key", key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(2) : null;
      }
    }
  }

  /** {@code record.claim} on the existing record of {@code key}: the state it returned. */
  @Nullable String claimState(String key) throws SQLException {
    long now = System.currentTimeMillis();
    try (Connection c = raw.pool().getConnection();
        PreparedStatement ps = c.prepareStatement(claim.sql())) {
      claim.set(ps, "key", key);
      claim.set(ps, "fingerprint", PayloadFingerprint.NONE);
      claim.set(ps, "lease_until", now + LEASE.toMillis());
      claim.set(ps, "expires_at", now + Math.max(TTL.toMillis(), LEASE.toMillis()));
      claim.set(ps, "now", now);
      claim.set(ps, "max_attempts", IdemPolicy.DEFAULT_MAX_ATTEMPTS);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && !rs.getBoolean(15) ? rs.getString(2) : null;
      }
    }
  }

  /** {@code record.insert} of {@code key}: true when it conflicted (and wrote nothing). */
  boolean insertConflicts(String key) throws SQLException {
    long now = System.currentTimeMillis();
    try (Connection c = raw.pool().getConnection();
        PreparedStatement ps = c.prepareStatement(insert.sql())) {
      insert.set(ps, "key", key);
      insert.set(ps, "fingerprint", PayloadFingerprint.NONE);
      insert.set(ps, "lease_until", now + LEASE.toMillis());
      insert.set(ps, "expires_at", now + Math.max(TTL.toMillis(), LEASE.toMillis()));
      insert.set(ps, "now", now);
      try (ResultSet rs = ps.executeQuery()) {
        return !rs.next();
      }
    }
  }

  // ---- locks ----------------------------------------------------------------------------------

  /** Time and calls of each lock step in an iteration. */
  @State(org.openjdk.jmh.annotations.Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class LockSteps {
    public long shedLockNanos;
    public long shedLockCalls;
    public long rawAcquireStatementNanos;
    public long rawAcquireStatementCalls;
    public long rawStoreStatementsNanos;
    public long rawStoreStatementsCalls;
    public long storeAcquireReleaseNanos;
    public long storeAcquireReleaseCalls;
    public long managerTryRunNanos;
    public long managerTryRunCalls;
    public long shedLockExecutorNanos;
    public long shedLockExecutorCalls;
    long invocations;
    int next;

    @Setup(Level.Iteration)
    public void reset() {
      shedLockNanos = 0;
      shedLockCalls = 0;
      rawAcquireStatementNanos = 0;
      rawAcquireStatementCalls = 0;
      rawStoreStatementsNanos = 0;
      rawStoreStatementsCalls = 0;
      storeAcquireReleaseNanos = 0;
      storeAcquireReleaseCalls = 0;
      managerTryRunNanos = 0;
      managerTryRunCalls = 0;
      shedLockExecutorNanos = 0;
      shedLockExecutorCalls = 0;
    }

    int nextIndex() {
      int i = next;
      next = i + 1 == KEYS ? 0 : i + 1;
      return i;
    }
  }

  /** One call of the lock step whose turn it is, timed. */
  @Benchmark
  public boolean lockSteps(LockSteps s) throws Throwable {
    int step = (int) ((s.invocations++ / BLOCK) % 6);
    String name = lockNames[s.nextIndex()];
    long t0 = System.nanoTime();
    boolean ok = lockStep(step, name);
    long elapsed = System.nanoTime() - t0;
    switch (step) {
      case 0 -> {
        s.shedLockNanos += elapsed;
        s.shedLockCalls++;
      }
      case 1 -> {
        s.rawAcquireStatementNanos += elapsed;
        s.rawAcquireStatementCalls++;
      }
      case 2 -> {
        s.rawStoreStatementsNanos += elapsed;
        s.rawStoreStatementsCalls++;
      }
      case 3 -> {
        s.storeAcquireReleaseNanos += elapsed;
        s.storeAcquireReleaseCalls++;
      }
      case 4 -> {
        s.managerTryRunNanos += elapsed;
        s.managerTryRunCalls++;
      }
      default -> {
        s.shedLockExecutorNanos += elapsed;
        s.shedLockExecutorCalls++;
      }
    }
    return ok;
  }

  /** Lock step {@code step} (0 to 5, in the order of the class comment) on lock {@code name}. */
  boolean lockStep(int step, String name) throws Throwable {
    return switch (step) {
      case 0 -> LockBenchmark.lockUnlock(shedLock, name);
      case 1 -> release(name, lockToken(lockAcquire, name));
      case 2 -> release(name, lockToken(lockTake, name));
      case 3 -> LockBenchmark.acquireRelease(locks, name);
      case 4 ->
          manager().tryRun(name, LockBenchmark.LEASE, Duration.ZERO, lock -> lock.token()).value()
              != null;
      case 5 ->
          shedLockExecutor()
              .executeWithLock(() -> Boolean.TRUE, LockBenchmark.config(name))
              .wasExecuted();
      default -> throw new IllegalArgumentException("no step " + step);
    };
  }

  /** {@code statement} (lock.take or lock.acquire) on a free lock: the token it returned. */
  long lockToken(Named statement, String name) throws SQLException {
    long now = System.currentTimeMillis();
    try (Connection c = raw.pool().getConnection();
        PreparedStatement ps = c.prepareStatement(statement.sql())) {
      statement.set(ps, "name", name);
      statement.set(ps, "owner", LockBenchmark.OWNER);
      statement.set(ps, "now", now);
      statement.set(ps, "lease_until", now + LockBenchmark.LEASE.toMillis());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || (statement == lockAcquire && !rs.getBoolean(6))) {
          throw new IllegalStateException(statement.name() + " did not take " + name);
        }
        return statement == lockAcquire ? rs.getLong(3) : rs.getLong(1);
      }
    }
  }

  /** {@code lock.release} of {@code name} held with {@code token}, kept for nothing. */
  boolean release(String name, long token) throws SQLException {
    long now = System.currentTimeMillis();
    try (Connection c = raw.pool().getConnection();
        PreparedStatement ps = c.prepareStatement(lockRelease.sql())) {
      lockRelease.set(ps, "lease_until", now);
      lockRelease.set(ps, "name", name);
      lockRelease.set(ps, "token", token);
      lockRelease.set(ps, "now", now);
      return ps.executeUpdate() == 1;
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  static ClaimRequest request(String key) {
    return new ClaimRequest(
        key, PayloadFingerprint.NONE, LEASE, TTL, IdemPolicy.DEFAULT_MAX_ATTEMPTS);
  }

  PostgresIdempotencyStore store() {
    return require(store);
  }

  Idem idem() {
    return require(idem);
  }

  LockManager manager() {
    return require(manager);
  }

  LockingTaskExecutor shedLockExecutor() {
    return require(shedLockExecutor);
  }

  private static <T> T require(@Nullable T value) {
    if (value == null) {
      throw new IllegalStateException("setup() has not run");
    }
    return value;
  }

  /**
   * A statement of the PostgreSQL stores' resources for one schema, its {@code :name} parameters
   * turned into {@code ?} markers (as the stores' own loader does), bound by name here.
   */
  record Named(String name, String sql, List<String> parameters) {

    static final Named NONE = new Named("none", "", List.of());

    private static final Pattern PARAMETER = Pattern.compile("(?<!:):([a-z_][a-z0-9_]*)");

    static Named load(String resource, String name, String schema) {
      String text =
          SqlStatements.load(PostgresIdempotencyStore.class, "io/idem/postgres/" + resource)
              .get(name)
              .replace("{schema}", "\"" + schema + "\"");
      List<String> parameters = new ArrayList<>();
      Matcher m = PARAMETER.matcher(text);
      StringBuilder sql = new StringBuilder();
      while (m.find()) {
        parameters.add(m.group(1));
        m.appendReplacement(sql, "?");
      }
      m.appendTail(sql);
      return new Named(name, sql.toString(), parameters);
    }

    void set(PreparedStatement ps, String parameter, Object value) throws SQLException {
      if (!setIfPresent(ps, parameter, value)) {
        throw new IllegalArgumentException("no parameter :" + parameter + " in " + name);
      }
    }

    boolean setIfPresent(PreparedStatement ps, String parameter, Object value) throws SQLException {
      boolean found = false;
      for (int i = 0; i < parameters.size(); i++) {
        if (parameters.get(i).equals(parameter)) {
          ps.setObject(i + 1, value);
          found = true;
        }
      }
      return found;
    }
  }
}
