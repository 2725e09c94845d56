package io.idem.lock;

import io.idem.IdemExecutionException;
import io.idem.Ticker;
import io.idem.internal.Backoff;
import io.idem.internal.Durations;
import io.idem.internal.LeaseKeeper;
import io.idem.internal.Texts;
import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.spi.LockStore;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks while holding leased locks with fencing tokens.
 *
 * <pre>{@code
 * LockManager locks = LockManager.create(store);
 * LockOutcome<Integer> o = locks.tryRun("autoclose", Duration.ofMinutes(5), Duration.ofSeconds(30),
 *     lock -> autoclose(lock.token()));
 * if (o.wasSkipped()) log.info("held by {}", o.holder().orElseThrow().owner());
 * }</pre>
 *
 * <ul>
 *   <li>{@code lockAtMostFor}: the lease; if the holder dies the lock is free after it. While the
 *       task runs, a keep-alive extends the lease every third of it, and stops when the task ends.
 *   <li>{@code lockAtLeastFor}: the lock stays taken at least this long after it was acquired, even
 *       when the task ends sooner, so that schedulers on several machines with slightly different
 *       clocks do not run the task twice.
 * </ul>
 *
 * Build with {@link #create} or {@link #builder} (to name the owner or give a {@link Ticker}: the
 * keep-alive, lock-at-least and acquire's wait are timed on it). Thread-safe. {@link #close()}
 * stops the keep-alive threads; the store stays open.
 */
public final class LockManager implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LockManager.class);
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final int MAX_NAME_LENGTH = 512;

  private final LockStore store;
  private final String owner;
  private final Ticker ticker;
  private final ScheduledThreadPoolExecutor scheduler;

  /** Extends the leases of running tasks and of kept-alive handles. */
  private final LeaseKeeper keeper;

  private LockManager(LockStore store, String owner, Ticker ticker) {
    this.store = Objects.requireNonNull(store, "store");
    this.owner = Texts.requireCleanText("owner", owner, 200);
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.scheduler =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "idem-lock-keepalive-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    scheduler.setRemoveOnCancelPolicy(true);
    this.keeper = new LeaseKeeper(scheduler, ticker);
  }

  /** A manager over {@code store}, naming holders {@code pid@host}. */
  public static LockManager create(LockStore store) {
    return builder(store).build();
  }

  /** A manager over {@code store} naming holders {@code owner} (at most 200 characters). */
  public static LockManager create(LockStore store, String owner) {
    return builder(store).owner(owner).build();
  }

  /** A builder of a manager over {@code store}. */
  public static Builder builder(LockStore store) {
    return new Builder(store);
  }

  /** The store. */
  public LockStore store() {
    return store;
  }

  /**
   * Runs {@code task} if the lock {@code name} is free, else skips it.
   *
   * @throws IllegalArgumentException naming the value, when a time is not positive or atLeast is
   *     longer than atMost, or the name is blank, too long or has control characters
   * @throws IdemExecutionException the task threw a checked exception (its cause); runtime
   *     exceptions and errors are rethrown as they are; the lock is released in every case
   */
  public <T> LockOutcome<T> tryRun(
      String name, Duration lockAtMostFor, Duration lockAtLeastFor, LockedTask<T> task) {
    checkName(name);
    Objects.requireNonNull(task, "task");
    Durations.requirePositive("lockAtMostFor", lockAtMostFor);
    Objects.requireNonNull(lockAtLeastFor, "lockAtLeastFor");
    if (lockAtLeastFor.isNegative() || lockAtLeastFor.compareTo(lockAtMostFor) > 0) {
      throw new IllegalArgumentException(
          "lockAtLeastFor must be between zero and lockAtMostFor ("
              + lockAtMostFor
              + "), but was "
              + lockAtLeastFor);
    }
    LockAttempt attempt = store.tryAcquire(name, owner, lockAtMostFor);
    long acquiredNanos = ticker.nanos();
    if (!attempt.acquired()) {
      return LockOutcome.skipped(attempt.lease());
    }
    Holding holding = new Holding(attempt.lease(), lockAtMostFor);
    keepAlive(holding);
    try {
      T value;
      try {
        value = task.run(holding);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Exception e) {
        throw new IdemExecutionException("lock " + name, e);
      }
      return LockOutcome.executed(value, holding.token());
    } finally {
      holding.stopKeepAlive();
      // lock-at-least, timed on the ticker (monotonic: no clock of ours meets the store's)
      Duration keep = lockAtLeastFor.minusNanos(ticker.nanos() - acquiredNanos);
      holding.releaseQuietly(keep.isNegative() ? Duration.ZERO : keep);
    }
  }

  /** Whether a handle from {@link #acquire} keeps its lease alive until it is released. */
  public enum KeepAlive {
    /**
     * The manager extends the lease every third of it, as {@link #tryRun} does, until the handle is
     * released or closed (or the manager is closed): a long critical section keeps its lock. The
     * default.
     */
    UNTIL_RELEASED,
    /** Nobody extends the lease but the holder ({@link LockHandle#extend}); it ends on its own. */
    NONE
  }

  /**
   * Acquires {@code name} with {@code lease}, waiting up to {@code maxWait} (polling with a growing
   * backoff) while another holds it. The handle is kept alive until it is released or closed
   * ({@link KeepAlive#UNTIL_RELEASED}): release it in a {@code finally} or a try-with-resources.
   *
   * @return the handle, or empty when the lock was still held after {@code maxWait}
   */
  public Optional<LockHandle> acquire(String name, Duration lease, Duration maxWait) {
    return acquire(name, lease, maxWait, KeepAlive.UNTIL_RELEASED);
  }

  /**
   * {@link #acquire(String, Duration, Duration)} with the keep-alive chosen at the call: {@link
   * KeepAlive#NONE} for a holder that extends the lease itself (or wants it to lapse when it stops
   * extending, as a remote holder would).
   *
   * @return the handle, or empty when the lock was still held after {@code maxWait}
   */
  public Optional<LockHandle> acquire(
      String name, Duration lease, Duration maxWait, KeepAlive keepAlive) {
    Objects.requireNonNull(keepAlive, "keepAlive");
    LockAttempt attempt;
    try {
      attempt = tryAcquire(name, owner, lease, maxWait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
    if (!attempt.acquired()) {
      return Optional.empty();
    }
    Holding holding = new Holding(attempt.lease(), lease);
    if (keepAlive == KeepAlive.UNTIL_RELEASED) {
      keepAlive(holding);
    }
    return Optional.of(new Handle(holding));
  }

  /**
   * Acquires {@code name} for {@code owner} (a holder elsewhere, such as a remote client of the
   * server, that extends and releases by its token), waiting up to {@code maxWait} (polling with a
   * jittered, growing backoff) while another holds it. Nobody keeps the lease alive.
   *
   * @return the attempt: acquired with its lease, or refused with the holder seen last
   * @throws InterruptedException when the waiting thread is interrupted
   */
  public LockAttempt tryAcquire(String name, String owner, Duration lease, Duration maxWait)
      throws InterruptedException {
    checkName(name);
    Texts.requireCleanText("owner", owner, 200);
    Durations.requirePositive("lease", lease);
    Objects.requireNonNull(maxWait, "maxWait");
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must not be negative, but was " + maxWait);
    }
    long deadline = ticker.nanos() + maxWait.toNanos();
    Backoff backoff = Backoff.forHolder();
    while (true) {
      LockAttempt attempt = store.tryAcquire(name, owner, lease);
      long left = deadline - ticker.nanos();
      if (attempt.acquired() || left <= 0) {
        return attempt;
      }
      TimeUnit.NANOSECONDS.sleep(Math.min(backoff.nextNanos(), left));
    }
  }

  /** The current holder of {@code name}, if any. */
  public Optional<LockLease> holder(String name) {
    return store.holder(name);
  }

  /** Stops the keep-alive threads; the store stays open. */
  @Override
  public void close() {
    scheduler.shutdownNow();
  }

  private static void checkName(String name) {
    Objects.requireNonNull(name, "name");
    Texts.requireCleanText("lock name", name, MAX_NAME_LENGTH);
  }

  // ---- keep-alive ---------------------------------------------------------------------------

  /** Gives {@code holding}'s lease to the keeper: extended every third of it until stopped. */
  private void keepAlive(Holding holding) {
    keeper.keep(holding, ticker.nanos());
  }

  /**
   * A holding under tryRun or behind a handle, with its keep-alive (every third of the lease, by
   * the sweep) while it is registered.
   */
  private final class Holding extends LeaseKeeper.Kept implements LockContext {
    private final LockLease lease;
    private final AtomicBoolean held = new AtomicBoolean(true);

    /** The lease the keep-alive extends by: the acquired one, or the last a handle extended by. */
    private volatile Duration leaseLength;

    Holding(LockLease lease, Duration leaseLength) {
      this.lease = lease;
      this.leaseLength = leaseLength;
    }

    @Override
    protected long everyNanos() {
      return TimeUnit.MILLISECONDS.toNanos(Math.max(1, leaseLength.toMillis() / 3));
    }

    /** A handle's own extension: kept by the keep-alive from then on; false when lost. */
    boolean extendBy(Duration length) {
      if (!held.get()) {
        return false;
      }
      if (store.extend(lease.name(), lease.token(), length)) {
        leaseLength = length;
        return true;
      }
      held.set(false);
      stopKeepAlive();
      return false;
    }

    /** Extends the lease; a refusal means the lock was lost (taken over after its lease ended). */
    @Override
    protected void beat(long asked) {
      try {
        if (held.get() && !store.extend(lease.name(), lease.token(), leaseLength)) {
          held.set(false);
          stopKeepAlive();
          LOG.warn("Lock {} (token {}) was lost while its task ran", lease.name(), lease.token());
        }
      } catch (RuntimeException e) {
        LOG.warn("Keep-alive of lock {} failed: {}", lease.name(), e.toString());
      }
    }

    @Override
    public String name() {
      return lease.name();
    }

    @Override
    public long token() {
      return lease.token();
    }

    @Override
    public boolean isHeld() {
      return held.get();
    }

    void stopKeepAlive() {
      keeper.stop(this);
    }

    void releaseQuietly(Duration keep) {
      try {
        store.release(lease.name(), lease.token(), keep);
      } catch (RuntimeException e) {
        LOG.warn(
            "Release of lock {} failed; it frees itself when its lease ends: {}",
            lease.name(),
            e.toString());
      }
    }
  }

  /** A handle from {@link #acquire}: its holding, kept alive while registered. */
  private final class Handle implements LockHandle {
    private final Holding holding;
    private final AtomicBoolean released = new AtomicBoolean();

    Handle(Holding holding) {
      this.holding = holding;
    }

    @Override
    public LockLease lease() {
      return holding.lease;
    }

    @Override
    public boolean isHeld() {
      return !released.get() && holding.isHeld();
    }

    @Override
    public boolean extend(Duration length) {
      Durations.requirePositive("lease", length);
      return !released.get() && holding.extendBy(length);
    }

    @Override
    public boolean release() {
      if (!released.compareAndSet(false, true)) {
        return false;
      }
      holding.stopKeepAlive();
      return store.release(holding.lease.name(), holding.lease.token(), Duration.ZERO);
    }

    @Override
    public void close() {
      release();
    }
  }

  /** Builds a {@link LockManager}. Not thread-safe. */
  public static final class Builder {
    private final LockStore store;
    private String owner = ManagementFactory.getRuntimeMXBean().getName();
    private Ticker ticker = Ticker.system();

    private Builder(LockStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /** The name of this manager's holdings (at most 200 characters). Default {@code pid@host}. */
    public Builder owner(String owner) {
      this.owner = Objects.requireNonNull(owner, "owner");
      return this;
    }

    /**
     * The ticker of the keep-alive (when an extension is due), of lock-at-least and of acquire's
     * wait. Default: {@link Ticker#system()}.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    public LockManager build() {
      return new LockManager(store, owner, ticker);
    }
  }
}
