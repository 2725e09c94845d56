package io.idem.redis;

import io.idem.StoreUnavailableException;
import io.idem.spi.ProcessedSetStore;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The {@link ProcessedSetStore} on Redis (standalone, or a master found through Sentinel), through
 * one Lettuce connection: a processed set is a Redis set, and each change is one Lua script, atomic
 * and answered in one round trip.
 *
 * <pre>{@code
 * ProcessedSetStore sets = RedisProcessedSetStore.builder("redis://localhost:6379").build();
 * }</pre>
 *
 * <p><b>Keys.</b> The two keys of a set share one hash tag, so every step touches a single cluster
 * slot; '%', '{' and '}' in a set name are percent-encoded inside the tag ({@code %25}, {@code
 * %7B}, {@code %7D}), so that a name cannot end the tag early, and names stay readable:
 *
 * <ul>
 *   <li>{@code {prefix:s:<set>}:m}: the members, a Redis set (Redis drops it when it is empty);
 *   <li>{@code {prefix:s:<set>}:t}: the last-modified time, epoch milliseconds of the store's clock
 *       in decimal.
 * </ul>
 *
 * Neither key has a TTL: a set stays until it is {@linkplain #clear cleared}. A set emptied by
 * {@link #remove} keeps its last-modified key (it did change then). The keys do not collide with
 * those of {@link RedisIdempotencyStore} or {@link RedisLockStore} of the same prefix.
 *
 * <p><b>Algorithm</b> ("now" is the store clock's epoch milliseconds, passed to the scripts):
 *
 * <ol>
 *   <li><b>add</b>: {@code set-add.lua}: {@code SADD m member}; when it added the member, {@code
 *       SET t now}; return whether it added it.
 *   <li><b>remove</b>: {@code set-remove.lua}: {@code SREM m member}; when it removed the member,
 *       {@code SET t now}; return whether it removed it.
 *   <li><b>clear</b>: {@code set-clear.lua}: {@code SCARD m}, {@code DEL m t}; return the count.
 *   <li><b>contains</b>: {@code SISMEMBER m member}; <b>members</b>: {@code SMEMBERS m}; <b>
 *       lastModified</b>: {@code GET t} (single commands, so atomic).
 * </ol>
 *
 * <p>Scripts are run by {@code EVALSHA}; on {@code NOSCRIPT} (a restarted or flushed server) the
 * script is sent with {@code EVAL}, which runs it and caches it again. {@link Builder#build} loads
 * them once with {@code SCRIPT LOAD}.
 *
 * <p><b>Time.</b> The last-modified time is the store clock's, to the millisecond (a clock with
 * finer ticks is truncated).
 *
 * <p><b>Failures.</b> Every Lettuce failure (not connected, timed out after {@link
 * Builder#commandTimeout commandTimeout}, a command error such as OOM or READONLY) is thrown as
 * {@link StoreUnavailableException} naming the server and the step ("add to set S"). An add whose
 * answer is lost may still have been applied: adding again answers false.
 *
 * <p><b>Connection.</b> A store built from a URI owns its {@link RedisClient}: auto-reconnect on,
 * commands rejected while disconnected (calls fail fast instead of queueing), a timeout on every
 * command, TCP keep-alive; {@link #close} shuts it down. A store built with {@link
 * #builder(RedisClient, RedisURI)} opens its own connection on that client (the client's options
 * apply; {@link ClientOptions.DisconnectedBehavior#REJECT_COMMANDS} is recommended) and closes only
 * that connection. Run Redis with {@code maxmemory-policy noeviction}: an evicted set forgets its
 * processed ids.
 *
 * <p>Defaults: prefix {@value #DEFAULT_PREFIX}, command timeout 2 s, the system UTC clock.
 * Thread-safe: one multiplexed connection serves every thread.
 */
public final class RedisProcessedSetStore implements ProcessedSetStore {

  /** The default key prefix (the same as {@link RedisIdempotencyStore}'s; the keys differ). */
  public static final String DEFAULT_PREFIX = RedisIdempotencyStore.DEFAULT_PREFIX;

  /** The default timeout of each Redis command (and of connecting). */
  public static final Duration DEFAULT_COMMAND_TIMEOUT =
      RedisIdempotencyStore.DEFAULT_COMMAND_TIMEOUT;

  private final String prefix;
  private final Clock clock;
  private final RedisStoreConnection conn;

  private RedisProcessedSetStore(String prefix, Clock clock, RedisStoreConnection conn) {
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
  public boolean add(String set, String member) {
    return change("add to set " + set, RedisScript.SET_ADD, set, member);
  }

  @Override
  public boolean remove(String set, String member) {
    return change("remove from set " + set, RedisScript.SET_REMOVE, set, member);
  }

  private boolean change(String op, RedisScript script, String set, String member) {
    Objects.requireNonNull(set, "set");
    Objects.requireNonNull(member, "member");
    String now = Long.toString(clock.millis());
    Long changed =
        conn.script(
            op,
            script,
            ScriptOutputType.INTEGER,
            new String[] {RedisKeys.setMembers(prefix, set), RedisKeys.setModified(prefix, set)},
            member,
            now);
    return changed != null && changed == 1L;
  }

  @Override
  public boolean contains(String set, String member) {
    Objects.requireNonNull(set, "set");
    Objects.requireNonNull(member, "member");
    String key = RedisKeys.setMembers(prefix, set);
    Boolean found =
        conn.call("contains in set " + set, () -> conn.commands().sismember(key, member));
    return Boolean.TRUE.equals(found);
  }

  @Override
  public Set<String> members(String set) {
    Objects.requireNonNull(set, "set");
    String key = RedisKeys.setMembers(prefix, set);
    Set<String> members = conn.call("members of set " + set, () -> conn.commands().smembers(key));
    return members == null ? Set.of() : Set.copyOf(members);
  }

  @Override
  public int clear(String set) {
    Objects.requireNonNull(set, "set");
    Long count =
        conn.script(
            "clear of set " + set,
            RedisScript.SET_CLEAR,
            ScriptOutputType.INTEGER,
            new String[] {RedisKeys.setMembers(prefix, set), RedisKeys.setModified(prefix, set)});
    return count == null ? 0 : Math.toIntExact(count);
  }

  @Override
  public Optional<Instant> lastModified(String set) {
    Objects.requireNonNull(set, "set");
    String key = RedisKeys.setModified(prefix, set);
    String millis = conn.call("last-modified of set " + set, () -> conn.commands().get(key));
    if (millis == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.ofEpochMilli(Long.parseLong(millis)));
    } catch (NumberFormatException e) {
      throw new IllegalStateException(
          "the string at " + key + " is not a time in epoch milliseconds: \"" + millis + "\"", e);
    }
  }

  /** Closes the store's connection, and shuts down its client when the store made it. */
  @Override
  public void close() {
    conn.close();
  }

  @Override
  public String toString() {
    return "RedisProcessedSetStore[" + conn.server() + ", prefix=" + prefix + "]";
  }

  // ---- building -----------------------------------------------------------------------------

  /**
   * Builds a {@link RedisProcessedSetStore}; the settings are {@link RedisStoreBuilder}'s. Not
   * thread-safe.
   */
  public static final class Builder extends RedisStoreBuilder<Builder, RedisProcessedSetStore> {

    private Builder(@Nullable RedisClient client, RedisURI uri) {
      super(client, uri);
    }

    @Override
    public RedisProcessedSetStore build() {
      return new RedisProcessedSetStore(prefix, clock, connect(RedisScript.SET_STEPS));
    }
  }
}
