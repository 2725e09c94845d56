package io.idem;

import io.idem.internal.Backoff;
import io.idem.internal.LeaseKeeper;
import io.idem.memory.InMemoryIdempotencyStore;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.RecordState;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.lang.reflect.Type;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a body once per {@link IdempotencyKey}: the first call runs it and records the result; later
 * calls with the same key get the recorded result ({@link Outcome#wasReplayed()}); a call while
 * another holds the key waits or is rejected; a call with another payload is refused.
 *
 * <pre>{@code
 * Idem idem = Idem.builder(store).build();
 * Outcome<Receipt> o = idem.once(IdempotencyKey.of("charge", Scope.user(42), order), order,
 *     () -> payments.charge(order));
 * }</pre>
 *
 * <p>A call, step by step:
 *
 * <ol>
 *   <li>read the record; a COMPLETED one with the same payload fingerprint is replayed at once;
 *   <li>claim the key in one atomic store step; the store answers CLAIMED (with a fencing token),
 *       COMPLETED (replay), IN_PROGRESS (wait with backoff, or reject), MISMATCH, CACHED_FAILURE or
 *       EXHAUSTED;
 *   <li>when claimed, run the body while a heartbeat extends the lease;
 *   <li>record the result (complete) or the failure (fail, by the failure policy) with the token; a
 *       token that was taken over in the meantime is refused by the store ({@link
 *       LeaseLostException}).
 * </ol>
 *
 * <p>Thread-safe. {@link #close()} stops the heartbeat and purge threads; the store stays open
 * (except the one made by {@link #inMemory()}).
 */
public final class Idem implements AutoCloseable {

  /** How often expired records are purged by default: every 10 minutes. */
  public static final Duration DEFAULT_PURGE_EVERY = Duration.ofMinutes(10);

  private static final Logger LOG = LoggerFactory.getLogger(Idem.class);
  private static final int PURGE_BATCH = 1000;
  private static final int MAX_PURGE_PER_CALL = 1_000_000;
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final IdempotencyStore store;
  private final boolean readBeforeClaim;
  private final Clock clock;
  private final Ticker ticker;
  private final IdemPolicy defaultPolicy;
  private final TtlCategories ttls;
  private final ResultCodec codec;
  private final IdemListener listener;
  private final boolean closeStore;
  private final ScheduledThreadPoolExecutor scheduler;

  /**
   * The claims this instance is running, by key: waiters are woken by them, heartbeats beat them.
   */
  private final ConcurrentHashMap<String, Heartbeat> running = new ConcurrentHashMap<>();

  /** Extends the leases of running claims whose policy has a heartbeat. */
  private final LeaseKeeper keeper;

  private Idem(Builder b) {
    this.store = b.store;
    this.readBeforeClaim = b.store.readBeforeClaim();
    this.clock = b.clock;
    this.ticker = b.ticker;
    this.defaultPolicy = b.policy;
    this.ttls = b.ttls;
    this.codec = b.codec;
    this.listener = b.listeners.isEmpty() ? IdemListener.NOOP : compose(List.copyOf(b.listeners));
    this.closeStore = b.closeStore;
    this.scheduler =
        new ScheduledThreadPoolExecutor(
            2,
            r -> {
              Thread t = new Thread(r, "idem-scheduler-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    scheduler.setRemoveOnCancelPolicy(true);
    scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.keeper = new LeaseKeeper(scheduler, ticker);
    if (b.purgeEvery != null) {
      long ms = b.purgeEvery.toMillis();
      scheduler.scheduleWithFixedDelay(this::purgeQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  /** A builder for an Idem over {@code store}. */
  public static Builder builder(IdempotencyStore store) {
    return new Builder(store);
  }

  /** An Idem over a new in-memory store, with the defaults. {@link #close()} closes the store. */
  public static Idem inMemory() {
    return builder(InMemoryIdempotencyStore.create()).closeStoreOnClose(true).build();
  }

  /** The store this Idem runs on. */
  public IdempotencyStore store() {
    return store;
  }

  /** The policy of calls that name none. */
  public IdemPolicy defaultPolicy() {
    return defaultPolicy;
  }

  // ---- once -------------------------------------------------------------------------------

  /**
   * Runs {@code body} once for {@code key}, with the default policy.
   *
   * @param payload what the call is about, compared with the first call's: another payload is
   *     refused with {@link PayloadMismatchException}; may be null
   * @throws InProgressException another caller holds the key (after waiting, if the policy waits)
   * @throws PayloadMismatchException the key was used with another payload
   * @throws CachedFailureException the key failed earlier and the failure is cached
   * @throws AttemptsExhaustedException the key has no attempts left
   * @throws LeaseLostException the body ran but the claim was taken over before it finished
   * @throws StoreUnavailableException the store failed
   * @throws IdemExecutionException the body threw a checked exception (its cause); runtime
   *     exceptions and errors from the body are rethrown as they are
   */
  public <T> Outcome<T> once(
      IdempotencyKey key, @Nullable Object payload, Callable<? extends T> body) {
    return once(key, payload, defaultPolicy, null, body);
  }

  /** {@link #once(IdempotencyKey, Object, Callable)} decoding replays into {@code type}. */
  public <T> Outcome<T> once(
      IdempotencyKey key,
      @Nullable Object payload,
      ResultType<T> type,
      Callable<? extends T> body) {
    return once(key, payload, defaultPolicy, type, body);
  }

  /** {@link #once(IdempotencyKey, Object, Callable)} with {@code policy}. */
  public <T> Outcome<T> once(
      IdempotencyKey key, @Nullable Object payload, IdemPolicy policy, Callable<? extends T> body) {
    return once(key, payload, policy, null, body);
  }

  /**
   * {@link #once(IdempotencyKey, Object, Callable)} with {@code policy}, decoding replays into
   * {@code type} (null: into the type the result was stored with).
   */
  public <T> Outcome<T> once(
      IdempotencyKey key,
      @Nullable Object payload,
      IdemPolicy policy,
      @Nullable ResultType<T> type,
      Callable<? extends T> body) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(body, "body");
    return execute(key, PayloadFingerprint.of(payload), policy, type, body);
  }

  /** Runs a body that returns nothing once for {@code key}. */
  public Outcome<Void> runOnce(IdempotencyKey key, @Nullable Object payload, Runnable body) {
    Objects.requireNonNull(body, "body");
    return once(
        key,
        payload,
        defaultPolicy,
        null,
        () -> {
          body.run();
          return null;
        });
  }

  // ---- decorators -------------------------------------------------------------------------

  /** {@code body} as a callable that runs it once for {@code key}: the lazy form of once. */
  public <T> Callable<Outcome<T>> decorateCallable(
      IdempotencyKey key, @Nullable Object payload, Callable<? extends T> body) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(body, "body");
    return () -> once(key, payload, body);
  }

  /** {@code body} as a supplier that runs it once for {@code key}. */
  public <T> Supplier<Outcome<T>> decorateSupplier(
      IdempotencyKey key, @Nullable Object payload, Supplier<? extends T> body) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(body, "body");
    return () -> once(key, payload, body::get);
  }

  /**
   * {@code body} as a function that runs once per key: the key is {@code keyOf} of the argument and
   * the argument is the payload.
   */
  public <A, T> Function<A, Outcome<T>> decorateFunction(
      Function<? super A, IdempotencyKey> keyOf, Function<? super A, ? extends T> body) {
    Objects.requireNonNull(keyOf, "keyOf");
    Objects.requireNonNull(body, "body");
    return arg -> once(keyOf.apply(arg), arg, () -> body.apply(arg));
  }

  // ---- administration ---------------------------------------------------------------------

  /** The record of {@code key}, if there is one that has not expired. */
  public Optional<IdempotencyRecord> inspect(IdempotencyKey key) {
    return store.get(key.value());
  }

  /** Deletes the record of {@code key}, so that the next call runs the body. */
  public boolean forget(IdempotencyKey key) {
    return store.delete(key.value());
  }

  /** Deletes every expired record now; returns how many. */
  public int purgeExpired() {
    int total = 0;
    int n;
    do { // a batch may come back short while more remain (Redis purges shard by shard)
      n = store.purgeExpired(PURGE_BATCH);
      total += n;
    } while (n > 0 && total < MAX_PURGE_PER_CALL);
    return total;
  }

  /** Stops heartbeats and the background purge; closes the store if so built. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    if (closeStore) {
      store.close();
    }
  }

  // ---- the algorithm ----------------------------------------------------------------------

  private <T> Outcome<T> execute(
      IdempotencyKey key,
      String fingerprint,
      IdemPolicy policy,
      @Nullable ResultType<T> resultType,
      Callable<? extends T> body) {
    String k = key.value();
    Type type = resultType == null ? null : resultType.type();
    if (readBeforeClaim) {
      Optional<IdempotencyRecord> seen = store.get(k);
      if (seen.isPresent()) {
        IdempotencyRecord r = seen.get();
        if (r.state() == RecordState.COMPLETED && r.fingerprint().equals(fingerprint)) {
          return replay(key, r, type);
        }
      }
    }
    Duration ttl = ttlFor(key, policy);
    ClaimRequest request =
        new ClaimRequest(k, fingerprint, policy.lease(), ttl, policy.maxAttempts());
    long deadline = 0;
    Backoff backoff = Backoff.forHolder();
    boolean conflictSeen = false;
    while (true) {
      ClaimResult claim = store.claim(request);
      IdempotencyRecord r = claim.record();
      switch (claim.status()) {
        case CLAIMED:
          return run(key, r, policy, ttl, body);
        case COMPLETED:
          return replay(key, r, type);
        case MISMATCH:
          emit(IdemEvent.Type.PAYLOAD_MISMATCH, key, r, null, null);
          throw new PayloadMismatchException(k, r.fingerprint(), fingerprint);
        case CACHED_FAILURE:
          {
            emit(IdemEvent.Type.CACHED_FAILURE, key, r, null, null);
            StoredError e = r.error();
            throw new CachedFailureException(
                k,
                e == null ? "unknown" : e.type(),
                e == null ? null : e.message(),
                r.retryAfter());
          }
        case EXHAUSTED:
          {
            emit(IdemEvent.Type.ATTEMPTS_EXHAUSTED, key, r, null, null);
            StoredError e = r.error();
            throw new AttemptsExhaustedException(
                k,
                r.attempt(),
                policy.maxAttempts(),
                e == null ? null : e.type() + ": " + e.message());
          }
        case IN_PROGRESS:
          if (!conflictSeen) {
            conflictSeen = true;
            emit(IdemEvent.Type.IN_PROGRESS_CONFLICT, key, r, null, null);
            if (policy.onInProgress().rejects()) {
              throw new InProgressException(k, r.leaseUntil(), r.attempt(), "");
            }
            deadline = ticker.nanos() + policy.onInProgress().maxWait().toNanos();
          }
          long remaining = deadline - ticker.nanos();
          if (remaining <= 0) {
            throw new InProgressException(
                k,
                r.leaseUntil(),
                r.attempt(),
                "gave up after waiting " + policy.onInProgress().maxWait());
          }
          awaitHolder(k, Math.min(backoff.nextNanos(), remaining), r);
          break;
        default:
          throw new IllegalStateException("unknown claim status " + claim.status());
      }
    }
  }

  /** Sleeps up to {@code nanos}, woken early when the holder runs in this process. */
  private void awaitHolder(String key, long nanos, IdempotencyRecord holder) {
    Heartbeat local = running.get(key);
    try {
      if (local != null) {
        local.done.get(nanos, TimeUnit.NANOSECONDS);
      } else {
        TimeUnit.NANOSECONDS.sleep(nanos);
      }
    } catch (TimeoutException | ExecutionException e) {
      // time to look again
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InProgressException(
          key, holder.leaseUntil(), holder.attempt(), "interrupted while waiting");
    }
  }

  private <T> Outcome<T> run(
      IdempotencyKey key,
      IdempotencyRecord claimed,
      IdemPolicy policy,
      Duration ttl,
      Callable<? extends T> body) {
    String k = key.value();
    long token = claimed.token();
    Heartbeat heartbeat = startHeartbeat(key, claimed, policy);
    long start = ticker.nanos();
    try {
      T value;
      try {
        value = body.call();
      } catch (Throwable error) {
        keeper.stop(heartbeat);
        recordFailure(
            key, claimed, heartbeat, policy.onFailure(), policy.lease(), ttl, error, start);
        throw rethrowable(k, error);
      }
      keeper.stop(heartbeat);
      StoredResult result;
      try {
        result = codec.encode(value);
      } catch (ResultCodecException e) {
        // The body ran: cache the failure so that a retry does not run it again.
        recordFailure(
            key, claimed, heartbeat, FailurePolicy.cacheFor(ttl), policy.lease(), ttl, e, start);
        throw e;
      }
      boolean completed;
      try {
        completed =
            whileLeaseHolds(
                claimed,
                heartbeat,
                policy.lease(),
                () -> store.complete(k, token, result, ttl),
                RecordState.COMPLETED);
      } catch (IllegalArgumentException refused) { // e.g. text the database cannot hold
        ResultCodecException e =
            new ResultCodecException(
                "the store refused the result of key " + k + ": " + refused.getMessage(), refused);
        recordFailure(
            key, claimed, heartbeat, FailurePolicy.cacheFor(ttl), policy.lease(), ttl, e, start);
        throw e;
      }
      if (!completed) {
        emit(IdemEvent.Type.LEASE_LOST, key, claimed, null, "result not recorded");
        throw new LeaseLostException(k, token, "so the body's result was not recorded", null);
      }
      emit(IdemEvent.Type.EXECUTED, key, claimed, elapsed(start), null);
      return Outcome.executed(key, value, claimed.attempt(), token);
    } finally {
      keeper.stop(heartbeat);
      running.remove(k, heartbeat);
      heartbeat.done.complete(null);
    }
  }

  private void recordFailure(
      IdempotencyKey key,
      IdempotencyRecord claimed,
      Heartbeat heartbeat,
      FailurePolicy onFailure,
      Duration lease,
      Duration ttl,
      Throwable error,
      long start) {
    emit(IdemEvent.Type.FAILED, key, claimed, elapsed(start), error.toString());
    Duration retryAfter = onFailure.retryAfterFor(error);
    try {
      if (!whileLeaseHolds(
          claimed,
          heartbeat,
          lease,
          () -> store.fail(key.value(), claimed.token(), StoredError.of(error), retryAfter, ttl),
          RecordState.FAILED)) {
        emit(IdemEvent.Type.LEASE_LOST, key, claimed, null, "failure not recorded");
        error.addSuppressed(
            new LeaseLostException(
                key.value(), claimed.token(), "so the body's failure was not recorded", null));
      }
    } catch (RuntimeException storeError) {
      error.addSuppressed(storeError);
    }
  }

  /**
   * Runs a fenced store step, retrying it while the store is unavailable and the claim's lease
   * still holds (nobody can take the key over before then), so that a store restart during a body
   * does not make the body run twice. The lease is counted from the claim or the last successful
   * heartbeat, less a fifth for safety. When a retry answers "not held", the record is read: an
   * earlier try may have been applied with its answer lost. The last failure is thrown when the
   * time is up; the claim is then left to its lease.
   */
  private boolean whileLeaseHolds(
      IdempotencyRecord claimed,
      Heartbeat heartbeat,
      Duration lease,
      java.util.function.BooleanSupplier step,
      RecordState recordedState) {
    long backoff = Backoff.FIRST_NANOS * 8;
    boolean retried = false;
    while (true) {
      try {
        boolean applied = step.getAsBoolean();
        if (!applied && retried) {
          Optional<IdempotencyRecord> now = store.get(claimed.key());
          return now.isPresent()
              && now.get().token() == claimed.token()
              && now.get().state() == recordedState;
        }
        return applied;
      } catch (StoreUnavailableException e) {
        retried = true;
        long deadline = heartbeat.heldSince + lease.toNanos() - lease.toNanos() / 5;
        long left = deadline - ticker.nanos();
        if (left <= 0) {
          throw e;
        }
        LOG.warn(
            "Store unavailable while recording key {} (token {}); retrying: {}",
            claimed.key(),
            claimed.token(),
            e.getMessage());
        try {
          TimeUnit.NANOSECONDS.sleep(Math.min(backoff, left));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
        backoff = Math.min(backoff * 2, TimeUnit.SECONDS.toNanos(1));
      }
    }
  }

  private static RuntimeException rethrowable(String key, Throwable error) {
    if (error instanceof RuntimeException e) {
      return e;
    }
    if (error instanceof Error e) {
      throw e;
    }
    return new IdemExecutionException(key, (Exception) error);
  }

  private <T> Outcome<T> replay(IdempotencyKey key, IdempotencyRecord r, @Nullable Type type) {
    StoredResult stored = Objects.requireNonNull(r.result(), "completed record without result");
    Object live = stored.value();
    Object value;
    if (live != null && (type == null || type instanceof Class<?> c && c.isInstance(live))) {
      value = live;
    } else {
      value = codec.decode(stored, type);
    }
    if (listener != IdemListener.NOOP) {
      emit(IdemEvent.Type.REPLAYED, key, r, null, null);
    }
    @SuppressWarnings("unchecked")
    T typed = (T) value;
    return Outcome.replayed(key, typed, r.attempt(), r.token());
  }

  private Duration ttlFor(IdempotencyKey key, IdemPolicy policy) {
    Duration ttl = policy.ttl();
    if (ttl != null) {
      return ttl;
    }
    String category = policy.category();
    if (category == null) {
      category = key.category();
    }
    if (category == null && ttls.has(key.namespace())) {
      category = key.namespace();
    }
    return ttls.ttlFor(category);
  }

  // ---- heartbeats, events, purge ----------------------------------------------------------

  /**
   * Registers a claim this instance runs (local waiters are woken by its end) and, when its policy
   * has a heartbeat, gives its lease to the keeper, which extends it every heartbeat while the body
   * runs.
   */
  private Heartbeat startHeartbeat(IdempotencyKey key, IdempotencyRecord claimed, IdemPolicy p) {
    Duration every = p.heartbeat();
    long now = ticker.nanos();
    Heartbeat hb = new Heartbeat(key, claimed, p.lease(), every == null ? 0 : every.toNanos(), now);
    running.put(key.value(), hb);
    if (hb.every > 0) {
      keeper.keep(hb, now);
    }
    return hb;
  }

  /** Extends the lease of {@code hb}, asked at the ticker's reading {@code asked}. */
  private void beat(Heartbeat hb, long asked) {
    try {
      boolean held = store.extend(hb.key.value(), hb.claimed.token(), hb.lease);
      if (held) {
        hb.heldSince = asked;
      } else if (!hb.stopped()) {
        keeper.stop(hb);
        emit(IdemEvent.Type.LEASE_LOST, hb.key, hb.claimed, null, "heartbeat refused");
        LOG.warn(
            "Lease of key {} (token {}) was taken over while its body ran",
            hb.key.value(),
            hb.claimed.token());
      }
    } catch (RuntimeException e) {
      LOG.warn("Heartbeat of key {} failed: {}", hb.key.value(), e.toString());
    }
  }

  /** A claim this instance runs: its lease keeping, and the signal that wakes local waiters. */
  private final class Heartbeat extends LeaseKeeper.Kept {
    final IdempotencyKey key;
    final IdempotencyRecord claimed;
    final Duration lease;
    final long every;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    /** The ticker's reading at the claim or at the start of the last successful extend. */
    volatile long heldSince;

    Heartbeat(
        IdempotencyKey key, IdempotencyRecord claimed, Duration lease, long every, long claimedAt) {
      this.key = key;
      this.claimed = claimed;
      this.lease = lease;
      this.every = every;
      this.heldSince = claimedAt;
    }

    @Override
    protected long everyNanos() {
      return every;
    }

    @Override
    protected void beat(long asked) {
      Idem.this.beat(this, asked);
    }
  }

  private void emit(
      IdemEvent.Type type,
      IdempotencyKey key,
      IdempotencyRecord r,
      @Nullable Duration elapsed,
      @Nullable String detail) {
    if (listener == IdemListener.NOOP) {
      return;
    }
    IdemEvent event =
        new IdemEvent(
            type,
            key.value(),
            key.namespace(),
            r.attempt(),
            r.token(),
            clock.instant(),
            elapsed,
            detail);
    try {
      listener.onEvent(event);
    } catch (RuntimeException e) {
      LOG.warn("Idem listener failed on {}: {}", event, e.toString());
    }
  }

  private Duration elapsed(long startNanos) {
    return Duration.ofNanos(ticker.nanos() - startNanos);
  }

  private static IdemListener compose(List<IdemListener> listeners) {
    if (listeners.size() == 1) {
      return listeners.get(0);
    }
    return event -> {
      for (IdemListener l : listeners) {
        try {
          l.onEvent(event);
        } catch (RuntimeException e) {
          LOG.warn("Idem listener failed on {}: {}", event, e.toString());
        }
      }
    };
  }

  private void purgeQuietly() {
    try {
      int n = purgeExpired();
      if (n > 0) {
        LOG.debug("Purged {} expired idempotency records", n);
      }
    } catch (RuntimeException e) {
      LOG.warn("Purge of expired idempotency records failed: {}", e.toString());
    }
  }

  /** Builds an {@link Idem}. Not thread-safe. */
  public static final class Builder {
    private final IdempotencyStore store;
    private Clock clock = Clock.systemUTC();
    private Ticker ticker = Ticker.system();
    private IdemPolicy policy = IdemPolicy.defaults();
    private TtlCategories ttls = TtlCategories.defaults();
    private ResultCodec codec = ResultCodec.jackson();
    private final java.util.ArrayList<IdemListener> listeners = new java.util.ArrayList<>();
    private @Nullable Duration purgeEvery = DEFAULT_PURGE_EVERY;
    private boolean closeStore;

    private Builder(IdempotencyStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /** The clock of event timestamps; stores have their own. Default: system UTC. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The ticker of elapsed time: how long a call waits for another's claim, when a heartbeat is
     * due, how long a write is retried within the lease, the durations of events. Default: {@link
     * Ticker#system()}.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** The policy of calls that name none. Default: {@link IdemPolicy#defaults()}. */
    public Builder defaultPolicy(IdemPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** TTLs by category. Default: {@link TtlCategories#defaults()}. */
    public Builder ttlCategories(TtlCategories ttls) {
      this.ttls = Objects.requireNonNull(ttls, "ttls");
      return this;
    }

    /** How results are stored. Default: {@link ResultCodec#jackson()}. */
    public Builder codec(ResultCodec codec) {
      this.codec = Objects.requireNonNull(codec, "codec");
      return this;
    }

    /** Adds a listener of {@link IdemEvent}s. */
    public Builder listener(IdemListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** Purges expired records every {@code every}. Default: {@link #DEFAULT_PURGE_EVERY}. */
    public Builder purgeEvery(Duration every) {
      Objects.requireNonNull(every, "every");
      if (every.isNegative() || every.isZero()) {
        throw new IllegalArgumentException("purgeEvery must be positive, but was " + every);
      }
      this.purgeEvery = every;
      return this;
    }

    /** Leaves expired records until {@link Idem#purgeExpired()} is called. */
    public Builder noBackgroundPurge() {
      this.purgeEvery = null;
      return this;
    }

    /** Whether {@link Idem#close()} closes the store too. Default: false. */
    public Builder closeStoreOnClose(boolean close) {
      this.closeStore = close;
      return this;
    }

    public Idem build() {
      return new Idem(this);
    }
  }
}
