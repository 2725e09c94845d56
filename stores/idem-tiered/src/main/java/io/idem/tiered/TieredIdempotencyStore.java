package io.idem.tiered;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.idem.IdemEvent;
import io.idem.IdemListener;
import io.idem.internal.Durations;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.ClaimStatus;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.RecordState;
import io.idem.spi.RecordTransitions;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis first, a source of truth behind it: the seeds' "Redis first, PostgreSQL fallback".
 *
 * <p>The source of truth (PostgreSQL in practice, any {@link IdempotencyStore} in fact) decides
 * every claim and transition, so there is one place where a key is claimed and no duplicate
 * execution whatever happens to Redis. Redis holds copies of COMPLETED records, so that duplicates
 * are answered by one Redis GET without touching the source of truth.
 *
 * <p>Algorithm:
 *
 * <ol>
 *   <li><b>claim</b>: {@code GET prefix:key}; a cached COMPLETED record with the same fingerprint
 *       that has not expired answers COMPLETED. Otherwise the source of truth's claim answers; a
 *       COMPLETED answer is cached ({@code SET prefix:key json PX ttl}), a CLAIMED one is
 *       remembered in this process until it is completed.
 *   <li><b>complete</b>: the source of truth's complete; when it succeeds and this process made the
 *       claim, the COMPLETED record is cached at once.
 *   <li><b>fail</b>, <b>extend</b>, <b>purgeExpired</b>: the source of truth's (only completed
 *       records are cached).
 *   <li><b>get</b>: the cache, else the source of truth (caching a COMPLETED answer).
 *   <li><b>delete</b>: {@code DEL} from the cache, the source of truth's delete, {@code DEL} again.
 * </ol>
 *
 * <p>Cached copies live until the record's expiry or {@link #DEFAULT_CACHE_TTL}, whichever comes
 * first. When Redis fails (down, timeout), the store logs it once, emits {@link
 * IdemEvent.Type#STORE_DEGRADED} to its listener, and goes on with the source of truth alone; it
 * tries Redis again after a backoff (1 s doubling to 30 s) and emits {@link
 * IdemEvent.Type#STORE_RECOVERED} when Redis answers. Keys deleted while Redis was down are evicted
 * when it is back. A delete that races a concurrent read may leave a stale cached copy for up to
 * the cache TTL.
 *
 * <p>Thread-safe.
 */
public final class TieredIdempotencyStore implements IdempotencyStore {

  public static final Duration DEFAULT_CACHE_TTL = Duration.ofMinutes(10);
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(500);
  public static final Duration DEFAULT_RETRY_REDIS_AFTER = Duration.ofSeconds(1);
  public static final String DEFAULT_PREFIX = "idem-cache";

  private static final Logger LOG = LoggerFactory.getLogger(TieredIdempotencyStore.class);
  private static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final int MAX_IN_FLIGHT = 100_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final IdempotencyStore truth;
  private final RedisClient client;
  private final boolean ownsClient;
  private final RedisURI uri;
  private final String prefix;
  private final Duration cacheTtl;
  private final long retryNanos;
  private final Clock clock;
  private final IdemListener listener;
  private final boolean closeTruth;
  private final ConcurrentHashMap<String, IdempotencyRecord> inFlight = new ConcurrentHashMap<>();
  private final Set<String> pendingEvictions = ConcurrentHashMap.newKeySet();
  private final Object state = new Object();
  private @Nullable StatefulRedisConnection<String, String> connection;
  private volatile @Nullable RedisCommands<String, String> commands;
  private volatile boolean redisUp = true;
  private volatile long retryAt;
  private long backoff;

  private TieredIdempotencyStore(Builder b) {
    this.truth = b.truth;
    this.uri = b.uri;
    this.ownsClient = b.client == null;
    this.client = b.client != null ? b.client : RedisClient.create(b.uri);
    this.client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(b.commandTimeout))
            .socketOptions(SocketOptions.builder().connectTimeout(b.commandTimeout).build())
            .build());
    this.prefix = b.prefix;
    this.cacheTtl = b.cacheTtl;
    this.retryNanos = b.retryRedisAfter.toNanos();
    this.backoff = retryNanos;
    this.clock = b.clock;
    this.listener = b.listener;
    this.closeTruth = b.closeTruth;
  }

  /** A builder over {@code sourceOfTruth} and the Redis at {@code redisUri}. */
  public static Builder builder(IdempotencyStore sourceOfTruth, String redisUri) {
    return new Builder(sourceOfTruth, RedisURI.create(redisUri), null);
  }

  /** A builder over {@code sourceOfTruth} and a client of the caller's (not closed by this). */
  public static Builder builder(
      IdempotencyStore sourceOfTruth, RedisClient client, RedisURI redisUri) {
    return new Builder(sourceOfTruth, redisUri, Objects.requireNonNull(client, "client"));
  }

  // ---- the SPI --------------------------------------------------------------------------------

  @Override
  public ClaimResult claim(ClaimRequest request) {
    Instant now = clock.instant();
    IdempotencyRecord cached = cached(request.key(), now);
    if (cached != null && cached.fingerprint().equals(request.fingerprint())) {
      return new ClaimResult(ClaimStatus.COMPLETED, cached);
    }
    ClaimResult result = truth.claim(request);
    if (result.status() == ClaimStatus.COMPLETED) {
      cache(result.record(), now);
    } else if (result.claimed() && inFlight.size() < MAX_IN_FLIGHT) {
      inFlight.put(request.key(), result.record());
    }
    return result;
  }

  @Override
  public boolean complete(String key, long token, StoredResult result, Duration ttl) {
    Instant now = Instant.ofEpochMilli(clock.millis());
    boolean done = truth.complete(key, token, result, ttl);
    IdempotencyRecord claimed = inFlight.remove(key);
    if (done && claimed != null) {
      IdempotencyRecord completed =
          RecordTransitions.complete(claimed, token, result.withoutValue(), ttl, now);
      if (completed != null) {
        cache(completed, now);
      }
    }
    return done;
  }

  @Override
  public boolean fail(
      String key, long token, @Nullable StoredError error, Duration retryAfter, Duration ttl) {
    inFlight.remove(key);
    return truth.fail(key, token, error, retryAfter, ttl);
  }

  @Override
  public boolean extend(String key, long token, Duration lease) {
    boolean held = truth.extend(key, token, lease);
    if (!held) {
      inFlight.remove(key);
    }
    return held;
  }

  @Override
  public Optional<IdempotencyRecord> get(String key) {
    Instant now = clock.instant();
    IdempotencyRecord cached = cached(key, now);
    if (cached != null) {
      return Optional.of(cached);
    }
    Optional<IdempotencyRecord> found = truth.get(key);
    found.filter(r -> r.state() == RecordState.COMPLETED).ifPresent(r -> cache(r, now));
    return found;
  }

  @Override
  public boolean delete(String key) {
    evict(key);
    inFlight.remove(key);
    boolean deleted = truth.delete(key);
    evict(key);
    return deleted;
  }

  @Override
  public int purgeExpired(int limit) {
    return truth.purgeExpired(limit);
  }

  /** The source of truth's claim answers in one round trip: no read first. */
  @Override
  public boolean readBeforeClaim() {
    return false;
  }

  /** Closes the Redis connection (and client, when this store made it), and the source of truth. */
  @Override
  public void close() {
    synchronized (state) {
      commands = null;
      if (connection != null) {
        connection.close();
        connection = null;
      }
    }
    if (ownsClient) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    if (closeTruth) {
      truth.close();
    }
  }

  /** True while Redis is used; false while the store goes on with the source of truth alone. */
  public boolean isRedisUp() {
    return redisUp;
  }

  @Override
  public String toString() {
    return "TieredIdempotencyStore[redis " + redisAddress() + " in front of " + truth + "]";
  }

  // ---- the cache -----------------------------------------------------------------------------

  private @Nullable IdempotencyRecord cached(String key, Instant now) {
    RedisCommands<String, String> redis = redis();
    if (redis == null) {
      return null;
    }
    String json;
    try {
      json = redis.get(prefix + key);
    } catch (RuntimeException e) {
      degrade(e);
      return null;
    }
    recovered();
    if (json == null) {
      return null;
    }
    try {
      IdempotencyRecord r = JSON.readValue(json, CachedRecord.class).toRecord();
      return r.isExpiredAt(now) ? null : r;
    } catch (Exception e) {
      LOG.warn("Dropping an unreadable cached record of key {}: {}", key, e.toString());
      evict(key);
      return null;
    }
  }

  private void cache(IdempotencyRecord record, Instant now) {
    if (record.state() != RecordState.COMPLETED || record.result() == null) {
      return;
    }
    long ttl = Math.min(Duration.between(now, record.expiresAt()).toMillis(), cacheTtl.toMillis());
    if (ttl <= 0) {
      return;
    }
    RedisCommands<String, String> redis = redis();
    if (redis == null) {
      return;
    }
    try {
      String json = JSON.writeValueAsString(CachedRecord.of(record));
      redis.set(prefix + record.key(), json, SetArgs.Builder.px(ttl));
      recovered();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      LOG.warn("Cannot cache the record of key {}: {}", record.key(), e.toString());
    } catch (RuntimeException e) {
      degrade(e);
    }
  }

  private void evict(String key) {
    RedisCommands<String, String> redis = redis();
    if (redis == null) {
      pendingEvictions.add(key);
      return;
    }
    try {
      redis.del(prefix + key);
      recovered();
    } catch (RuntimeException e) {
      pendingEvictions.add(key);
      degrade(e);
    }
  }

  /** The Redis commands, or null while Redis is considered down and not yet due for a retry. */
  private @Nullable RedisCommands<String, String> redis() {
    if (!redisUp && System.nanoTime() < retryAt) {
      return null;
    }
    RedisCommands<String, String> ready = commands;
    if (ready != null) {
      return ready; // the connection reconnects by itself: no lock on the hot path
    }
    synchronized (state) {
      if (connection == null) {
        try {
          connection = client.connect(uri);
        } catch (RuntimeException e) {
          degrade(e);
          return null;
        }
      }
      commands = connection.sync();
      return commands;
    }
  }

  private void degrade(RuntimeException e) {
    boolean first;
    synchronized (state) {
      first = redisUp;
      redisUp = false;
      if (first) {
        backoff = retryNanos;
      } else {
        backoff = Math.min(backoff * 2, MAX_RETRY_NANOS);
      }
      retryAt = System.nanoTime() + backoff;
    }
    if (first) {
      LOG.warn(
          "Redis at {} is unreachable ({}); going on with {} alone until it is back",
          redisAddress(),
          e.toString(),
          truth);
      emit(IdemEvent.Type.STORE_DEGRADED, e.toString());
    }
  }

  private void recovered() {
    if (redisUp) {
      return;
    }
    synchronized (state) {
      if (redisUp) {
        return;
      }
      redisUp = true;
      backoff = retryNanos;
    }
    LOG.info("Redis at {} is back; caching completed records again", redisAddress());
    emit(IdemEvent.Type.STORE_RECOVERED, null);
    for (String key : pendingEvictions) {
      pendingEvictions.remove(key);
      evict(key);
    }
  }

  private String redisAddress() {
    return uri.getHost() + ":" + uri.getPort();
  }

  private void emit(IdemEvent.Type type, @Nullable String detail) {
    try {
      listener.onEvent(
          new IdemEvent(type, redisAddress(), "store", 0, 0, clock.instant(), null, detail));
    } catch (RuntimeException e) {
      LOG.warn("Listener failed on {}: {}", type, e.toString());
    }
  }

  /** Builds a {@link TieredIdempotencyStore}. Not thread-safe. */
  public static final class Builder {
    private final IdempotencyStore truth;
    private final RedisURI uri;
    private final @Nullable RedisClient client;
    private String prefix = DEFAULT_PREFIX + ":";
    private Duration cacheTtl = DEFAULT_CACHE_TTL;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private Duration retryRedisAfter = DEFAULT_RETRY_REDIS_AFTER;
    private Clock clock = Clock.systemUTC();
    private IdemListener listener = IdemListener.NOOP;
    private boolean closeTruth = true;

    private Builder(IdempotencyStore truth, RedisURI uri, @Nullable RedisClient client) {
      this.truth = Objects.requireNonNull(truth, "sourceOfTruth");
      this.uri = Objects.requireNonNull(uri, "redisUri");
      this.client = client;
    }

    /** The prefix of cache keys (default {@value #DEFAULT_PREFIX}); ':' is added. */
    public Builder prefix(String prefix) {
      Objects.requireNonNull(prefix, "prefix");
      if (prefix.isBlank() || prefix.chars().anyMatch(c -> c <= ' ')) {
        throw new IllegalArgumentException(
            "prefix must be non-blank without spaces or control characters, but was \""
                + prefix
                + "\"");
      }
      this.prefix = prefix + ":";
      return this;
    }

    /** The longest a completed record is cached. Default {@link #DEFAULT_CACHE_TTL}. */
    public Builder cacheTtl(Duration ttl) {
      this.cacheTtl = Durations.requirePositive("cacheTtl", ttl);
      return this;
    }

    /** How long a Redis command may take before Redis counts as down. Default 500 ms. */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = Durations.requirePositive("commandTimeout", timeout);
      return this;
    }

    /** The first wait before Redis is tried again after a failure (it doubles, to 30 s). */
    public Builder retryRedisAfter(Duration wait) {
      this.retryRedisAfter = Durations.requirePositive("retryRedisAfter", wait);
      return this;
    }

    /** The clock of cache expiry; use the source of truth's. Default system UTC. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Hears STORE_DEGRADED and STORE_RECOVERED. */
    public Builder listener(IdemListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Whether {@link TieredIdempotencyStore#close()} closes the source of truth. Default true. */
    public Builder closeSourceOfTruth(boolean close) {
      this.closeTruth = close;
      return this;
    }

    public TieredIdempotencyStore build() {
      return new TieredIdempotencyStore(this);
    }
  }
}
