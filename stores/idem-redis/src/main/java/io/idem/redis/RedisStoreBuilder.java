package io.idem.redis;

import io.idem.StoreUnavailableException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What every Redis store's builder sets: the server (and optionally the caller's client), the key
 * prefix, the clock and the command timeout. Not thread-safe.
 *
 * @param <B> the concrete builder
 * @param <S> the store it builds
 */
public abstract class RedisStoreBuilder<B extends RedisStoreBuilder<B, S>, S> {

  /** The default key prefix of every Redis store. */
  public static final String DEFAULT_PREFIX = "idem";

  /** The default command timeout of every Redis store: 2 seconds. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);

  private final @Nullable RedisClient client;
  private final RedisURI uri;
  String prefix = DEFAULT_PREFIX;
  Clock clock = Clock.systemUTC();
  private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;

  RedisStoreBuilder(@Nullable RedisClient client, RedisURI uri) {
    this.client = client;
    this.uri = Objects.requireNonNull(uri, "uri");
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /**
   * What every Redis key of this store starts with (inside its hash tag), so that several
   * applications or environments can share a server. Default {@value #DEFAULT_PREFIX}; not empty,
   * and without '{', '}' or whitespace.
   */
  public B prefix(String prefix) {
    this.prefix = RedisStoreConnection.checkPrefix(prefix);
    return self();
  }

  /** The clock of leases and expiry. Default: the system UTC clock. */
  public B clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return self();
  }

  /**
   * How long a command may take before it fails with {@link StoreUnavailableException}; also the
   * connect timeout of a client the store makes. Default 2 s.
   */
  public B commandTimeout(Duration timeout) {
    this.commandTimeout = RedisStoreConnection.checkCommandTimeout(timeout);
    return self();
  }

  /**
   * Connects and prepares the store.
   *
   * @throws StoreUnavailableException when Redis cannot be reached
   */
  public abstract S build();

  /** A connection with this builder's settings, with {@code scripts} loaded. */
  RedisStoreConnection connect(java.util.Collection<RedisScript> scripts) {
    RedisStoreConnection conn = RedisStoreConnection.open(client, uri, prefix, commandTimeout);
    try {
      conn.loadScripts(scripts);
    } catch (RuntimeException e) {
      conn.close();
      throw e;
    }
    return conn;
  }

  /** A connection with this builder's settings, scripts not loaded yet. */
  RedisStoreConnection open() {
    return RedisStoreConnection.open(client, uri, prefix, commandTimeout);
  }
}
