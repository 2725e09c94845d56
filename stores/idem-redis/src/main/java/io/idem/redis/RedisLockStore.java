package io.idem.redis;

import io.idem.StoreUnavailableException;
import io.idem.internal.Durations;
import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.spi.LockStore;
import io.idem.spi.LockTransitions;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The {@link LockStore} on Redis (standalone, or a master found through Sentinel), through one
 * Lettuce connection: a lock is a Redis hash, and each step is one Lua script, atomic and answered
 * in one round trip, giving the answers of {@link LockTransitions}.
 *
 * <pre>{@code
 * LockStore locks = RedisLockStore.builder("redis://localhost:6379").build();
 * }</pre>
 *
 * <p><b>Keys.</b> A lock is one hash, its own hash tag (so one cluster slot): {@code
 * {prefix:l:<name>}}, with '%', '{' and '}' in the name percent-encoded ({@code %25}, {@code %7B},
 * {@code %7D}) so that a name cannot end the tag early. Its fields: {@code owner}, {@code token},
 * {@code acquired_at} and {@code lease_until} (epoch milliseconds of the store's clock, in
 * decimal).
 *
 * <p><b>Tokens, and why the hash has no TTL.</b> Every acquisition takes the stored token + 1 (1
 * for a lock never held), so the hash must outlive its holdings: a release only moves {@code
 * lease_until}, and the hash is never deleted nor given a Redis TTL (a TTL would drop the token
 * with it, and the next holder would get token 1 again, below tokens a downstream store may have
 * seen). A lock name therefore costs one small hash for as long as the prefix is used; locks are
 * meant for a bounded set of names (jobs, schedules, resources), not one per request. The keys do
 * not collide with those of {@link RedisIdempotencyStore} or {@link RedisProcessedSetStore} of the
 * same prefix.
 *
 * <p><b>Algorithm</b> ("now" is the store clock's epoch milliseconds, passed to every script; a
 * lock is held while {@code lease_until > now}):
 *
 * <ol>
 *   <li><b>tryAcquire</b>: {@code lock-acquire.lua}: {@code HMGET owner token acquired_at
 *       lease_until}; when held, return the holder and change nothing; else one {@code HSET token +
 *       1, owner, acquired_at now, lease_until now + lease} (from token 2^53 - 1 on, where a Lua
 *       number is no longer exact, {@code HINCRBY token 1} and {@code HSET} of the rest), and
 *       return the new token: the store knows the rest of the holding.
 *   <li><b>extend</b>: {@code lock-extend.lua}: {@code HMGET token lease_until}; unless the token
 *       is the caller's and the lease runs, return 0 and change nothing; else {@code HSET
 *       lease_until now + lease}, return 1.
 *   <li><b>release</b>: {@code lock-release.lua}: the same check; then {@code HSET lease_until now
 *       + keepFor} (just now: free at once), return 1. The token stays.
 *   <li><b>holder</b>: {@code HMGET owner token acquired_at lease_until} (one command, so atomic);
 *       a lock whose lease has passed reads as free.
 * </ol>
 *
 * <p>Scripts are run by {@code EVALSHA}; on {@code NOSCRIPT} (a restarted or flushed server) the
 * script is sent with {@code EVAL}, which runs it and caches it again. {@link Builder#build} loads
 * them once with {@code SCRIPT LOAD}.
 *
 * <p><b>Time.</b> Leases are logical: scripts compare the store clock (passed in, to the
 * millisecond) with {@code lease_until}; Redis's own clock is not used. Processes sharing locks
 * need clocks that agree to well within a lease.
 *
 * <p><b>Failures.</b> Every Lettuce failure (not connected, timed out after {@link
 * Builder#commandTimeout commandTimeout}, a command error such as OOM or READONLY) is thrown as
 * {@link StoreUnavailableException} naming the server and the step ("acquire of lock L"). An
 * acquisition whose answer is lost (the connection dropped after Redis ran it) holds the lock until
 * its lease ends, as a crashed holder would. Tokens are only as durable as Redis: a failover to a
 * replica that had not yet received the last acquisitions, or a restart without persistence, can
 * hand out a token again. Run Redis with {@code maxmemory-policy noeviction}: an evicted lock is a
 * lost holding and a lost token.
 *
 * <p><b>Connection.</b> A store built from a URI owns its {@link RedisClient}: auto-reconnect on,
 * commands rejected while disconnected (calls fail fast instead of queueing), a timeout on every
 * command, TCP keep-alive; {@link #close} shuts it down. A store built with {@link
 * #builder(RedisClient, RedisURI)} opens its own connection on that client (the client's options
 * apply; {@link ClientOptions.DisconnectedBehavior#REJECT_COMMANDS} is recommended) and closes only
 * that connection.
 *
 * <p>Defaults: prefix {@value #DEFAULT_PREFIX}, command timeout 2 s, the system UTC clock.
 * Thread-safe: one multiplexed connection serves every thread.
 */
public final class RedisLockStore implements LockStore {

  /** The default key prefix (the same as {@link RedisIdempotencyStore}'s; the keys differ). */
  public static final String DEFAULT_PREFIX = RedisIdempotencyStore.DEFAULT_PREFIX;

  /** The default timeout of each Redis command (and of connecting). */
  public static final Duration DEFAULT_COMMAND_TIMEOUT =
      RedisIdempotencyStore.DEFAULT_COMMAND_TIMEOUT;

  static final String OWNER = "owner";
  static final String TOKEN = "token";
  static final String ACQUIRED_AT = "acquired_at";
  static final String LEASE_UNTIL = "lease_until";

  private final String prefix;
  private final Clock clock;
  private final RedisStoreConnection conn;

  private RedisLockStore(String prefix, Clock clock, RedisStoreConnection conn) {
    this.prefix = prefix;
    this.clock = clock;
    this.conn = conn;
  }

  /** A builder for a store on the server at {@code uri}, e.g. {@code redis://localhost:6379}. */
  public static Builder builder(String uri) {
    Objects.requireNonNull(uri, "uri");
    return builder(RedisURI.create(uri));
  }

  /** A builder for a store on the server at {@code uri}, with a client of its own. */
  public static Builder builder(RedisURI uri) {
    return new Builder(null, Objects.requireNonNull(uri, "uri"));
  }

  /**
   * A builder for a store that opens its own connection to {@code uri} on {@code client} (which
   * stays the caller's: the store closes only its connection). The URI is asked for because a
   * {@link RedisClient} does not tell its own, and the store names the server in its errors.
   */
  public static Builder builder(RedisClient client, RedisURI uri) {
    return new Builder(
        Objects.requireNonNull(client, "client"), Objects.requireNonNull(uri, "uri"));
  }

  // ---- the steps ----------------------------------------------------------------------------

  @Override
  public LockAttempt tryAcquire(String name, String owner, Duration lease) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(owner, "owner");
    Durations.requirePositive("lease", lease);
    Instant now = now();
    long nowMillis = now.toEpochMilli();
    long leaseUntil = now.plus(lease).toEpochMilli();
    String key = RedisKeys.lock(prefix, name);
    List<Object> reply =
        conn.script(
            "acquire of lock ",
            name,
            RedisScript.LOCK_ACQUIRE,
            ScriptOutputType.MULTI,
            new String[] {key},
            owner,
            Long.toString(nowMillis),
            Long.toString(leaseUntil));
    if (reply != null && reply.size() == 1) {
      // acquired: the script answers with the new token, the caller knows the rest
      long token;
      try {
        token = Long.parseLong(String.valueOf(reply.get(0)));
      } catch (NumberFormatException e) {
        throw new IllegalStateException("the hash at " + key + " is not a lock: " + e, e);
      }
      return new LockAttempt(
          true,
          new LockLease(
              name,
              owner,
              token,
              Instant.ofEpochMilli(nowMillis),
              Instant.ofEpochMilli(leaseUntil)));
    }
    if (reply == null || reply.size() != 5) {
      throw new IllegalStateException("lock-acquire.lua answered " + reply + " for " + key);
    }
    LockLease holding =
        toLease(
            name,
            key,
            text(reply.get(1)),
            text(reply.get(2)),
            text(reply.get(3)),
            text(reply.get(4)));
    return new LockAttempt(false, holding);
  }

  @Override
  public boolean extend(String name, long token, Duration lease) {
    Objects.requireNonNull(name, "name");
    Durations.requirePositive("lease", lease);
    Instant now = now();
    return apply("extend of lock ", RedisScript.LOCK_EXTEND, name, token, now, lease);
  }

  @Override
  public boolean release(String name, long token, Duration keepFor) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keepFor, "keepFor");
    if (keepFor.isNegative()) {
      throw new IllegalArgumentException("keepFor must not be negative, but was " + keepFor);
    }
    Instant now = now();
    return apply("release of lock ", RedisScript.LOCK_RELEASE, name, token, now, keepFor);
  }

  /** Runs extend or release: both move lease_until to now + {@code until} for the holder. */
  private boolean apply(
      String what, RedisScript script, String name, long token, Instant now, Duration until) {
    Long applied =
        conn.script(
            what,
            name,
            script,
            ScriptOutputType.INTEGER,
            new String[] {RedisKeys.lock(prefix, name)},
            Long.toString(token),
            millis(now),
            millis(now.plus(until)));
    return applied != null && applied == 1L;
  }

  @Override
  public Optional<LockLease> holder(String name) {
    Objects.requireNonNull(name, "name");
    Instant now = now();
    String key = RedisKeys.lock(prefix, name);
    List<KeyValue<String, String>> fields =
        conn.call(
            "holder of lock " + name,
            () -> conn.commands().hmget(key, OWNER, TOKEN, ACQUIRED_AT, LEASE_UNTIL));
    if (fields == null || fields.size() != 4 || !fields.get(1).hasValue()) {
      return Optional.empty();
    }
    LockLease lease =
        toLease(
            name,
            key,
            fields.get(0).getValueOrElse(null),
            fields.get(1).getValueOrElse(null),
            fields.get(2).getValueOrElse(null),
            fields.get(3).getValueOrElse(null));
    return lease.isHeldAt(now) ? Optional.of(lease) : Optional.empty();
  }

  /** Closes the store's connection, and shuts down its client when the store made it. */
  @Override
  public void close() {
    conn.close();
  }

  @Override
  public String toString() {
    return "RedisLockStore[" + conn.server() + ", prefix=" + prefix + "]";
  }

  // ---- helpers ------------------------------------------------------------------------------

  private Instant now() {
    return Instant.ofEpochMilli(clock.millis());
  }

  private static String millis(Instant t) {
    return Long.toString(t.toEpochMilli());
  }

  private static @Nullable String text(@Nullable Object value) {
    return value == null ? null : String.valueOf(value);
  }

  /**
   * The holding in a lock's fields.
   *
   * @throws IllegalStateException when the fields are not a lock's
   */
  private static LockLease toLease(
      String name,
      String key,
      @Nullable String owner,
      @Nullable String token,
      @Nullable String acquiredAt,
      @Nullable String leaseUntil) {
    try {
      return new LockLease(
          name,
          required(OWNER, owner),
          Long.parseLong(required(TOKEN, token)),
          Instant.ofEpochMilli(Long.parseLong(required(ACQUIRED_AT, acquiredAt))),
          Instant.ofEpochMilli(Long.parseLong(required(LEASE_UNTIL, leaseUntil))));
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "the hash at " + key + " is not a lock: " + e.getMessage(), e);
    }
  }

  private static String required(String field, @Nullable String value) {
    if (value == null) {
      throw new IllegalArgumentException("field " + field + " is missing");
    }
    return value;
  }

  // ---- building -----------------------------------------------------------------------------

  /**
   * Builds a {@link RedisLockStore}; the settings are {@link RedisStoreBuilder}'s. Not thread-safe.
   */
  public static final class Builder extends RedisStoreBuilder<Builder, RedisLockStore> {

    private Builder(@Nullable RedisClient client, RedisURI uri) {
      super(client, uri);
    }

    @Override
    public RedisLockStore build() {
      return new RedisLockStore(prefix, clock, connect(RedisScript.LOCK_STEPS));
    }
  }
}
