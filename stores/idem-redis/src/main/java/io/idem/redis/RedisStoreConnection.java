package io.idem.redis;

import io.idem.StoreUnavailableException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * What every Redis store of this package does the same way: open its connection with the store
 * options, run commands and scripts within the command timeout, and throw every failure as {@link
 * StoreUnavailableException} naming the server, the prefix and the step.
 *
 * <ul>
 *   <li><b>Connection.</b> Without a caller's client, {@link #open} makes one: auto-reconnect on,
 *       commands rejected while disconnected (calls fail fast instead of queueing, and commands in
 *       flight when the connection drops fail instead of being replayed), a timeout on every
 *       command and on connecting, TCP keep-alive; {@link #close} shuts it down. With a caller's
 *       client it opens (and later closes) only its own connection, under the client's options.
 *   <li><b>Scripts</b> run by {@code EVALSHA}; on {@code NOSCRIPT} (a restarted or flushed server)
 *       the script is sent with {@code EVAL}, which runs it and caches it again. {@link
 *       #loadScripts} loads a store's scripts once when it is built.
 *   <li><b>Failures</b>: not connected, no answer within the command timeout, a command error (OOM,
 *       READONLY, a script error): all {@code "Redis at host:port (prefix p): <step> failed: why"}.
 * </ul>
 *
 * Thread-safe: one multiplexed connection serves every thread.
 */
final class RedisStoreConnection implements AutoCloseable {

  private final String server;
  private final String prefix;
  private final Duration commandTimeout;
  private final long commandTimeoutNanos;
  private final RedisClient client;
  private final RedisURI uri;
  private final @Nullable RedisClient ownedClient;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisAsyncCommands<String, String> redis;

  private RedisStoreConnection(
      String server,
      String prefix,
      Duration commandTimeout,
      RedisClient client,
      RedisURI uri,
      @Nullable RedisClient ownedClient,
      StatefulRedisConnection<String, String> connection) {
    this.server = server;
    this.prefix = prefix;
    this.commandTimeout = commandTimeout;
    this.commandTimeoutNanos = commandTimeout.toNanos();
    this.client = client;
    this.uri = uri;
    this.ownedClient = ownedClient;
    this.connection = connection;
    this.redis = connection.async();
  }

  /**
   * Connects to {@code uri}: on {@code client} when given (which stays the caller's), else on a
   * client of its own with the options above.
   *
   * @throws StoreUnavailableException when Redis cannot be reached
   */
  static RedisStoreConnection open(
      @Nullable RedisClient client, RedisURI uri, String prefix, Duration commandTimeout) {
    String server = describe(uri);
    RedisClient owned = null;
    RedisClient c = client;
    if (c == null) {
      owned = RedisClient.create(uri);
      owned.setOptions(
          ClientOptions.builder()
              .autoReconnect(true)
              .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
              .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
              .socketOptions(
                  SocketOptions.builder().connectTimeout(commandTimeout).keepAlive(true).build())
              .build());
      c = owned;
    }
    StatefulRedisConnection<String, String> connection;
    try {
      connection = c.connect(StringCodec.UTF8, uri);
    } catch (RedisException e) {
      if (owned != null) {
        owned.shutdown();
      }
      throw new StoreUnavailableException(
          "Redis at " + server + " (prefix " + prefix + "): connect failed: " + e.getMessage(), e);
    }
    connection.setTimeout(commandTimeout);
    return new RedisStoreConnection(server, prefix, commandTimeout, c, uri, owned, connection);
  }

  /** {@code host:port} of the server (or its socket, or its Sentinel master), for messages. */
  String server() {
    return server;
  }

  String prefix() {
    return prefix;
  }

  Duration commandTimeout() {
    return commandTimeout;
  }

  /** The asynchronous commands of the connection, for {@link #call} and {@link #start}. */
  RedisAsyncCommands<String, String> commands() {
    return redis;
  }

  /**
   * A new publish/subscribe connection to the same server on the same client (Lettuce subscribes it
   * again to its channels after a reconnect); the caller closes it.
   *
   * @throws StoreUnavailableException when Redis cannot be reached
   */
  StatefulRedisPubSubConnection<String, String> connectPubSub(String op) {
    try {
      StatefulRedisPubSubConnection<String, String> c = client.connectPubSub(StringCodec.UTF8, uri);
      c.setTimeout(commandTimeout);
      return c;
    } catch (RedisException e) {
      throw unavailable(op, String.valueOf(e.getMessage()), e);
    }
  }

  /** Sends {@code command} and waits for its answer, at most the command timeout. */
  <T> T call(String op, Supplier<? extends CompletionStage<T>> command) {
    return awaitUntil(op, start(command), System.nanoTime() + commandTimeoutNanos);
  }

  /**
   * {@link #call(String, Supplier)} of the step named {@code what + subject}, a text made only when
   * the step fails.
   */
  <T> T call(String what, String subject, Supplier<? extends CompletionStage<T>> command) {
    return awaitUntil(what, subject, start(command), System.nanoTime() + commandTimeoutNanos);
  }

  /** Runs {@code script} and waits for its answer, at most the command timeout. */
  <T> T script(
      String op, RedisScript script, ScriptOutputType type, String[] scriptKeys, String... args) {
    return script(op, "", script, type, scriptKeys, args);
  }

  /**
   * Runs {@code script} and waits for its answer, at most the command timeout: {@code EVALSHA}, and
   * on {@code NOSCRIPT} {@code EVAL} within the same deadline. The step is named {@code what +
   * subject} (e.g. "claim of key " + the key), a text made only when it fails. The hot path of
   * every store: no future is made beyond Lettuce's command.
   */
  <T> T script(
      String what,
      String subject,
      RedisScript script,
      ScriptOutputType type,
      String[] scriptKeys,
      String... args) {
    long deadline = System.nanoTime() + commandTimeoutNanos;
    CompletableFuture<T> bySha;
    try {
      bySha = redis.<T>evalsha(script.sha(), type, scriptKeys, args).toCompletableFuture();
    } catch (RedisException e) {
      bySha = CompletableFuture.failedFuture(e);
    }
    try {
      return awaitUntil(what, subject, bySha, deadline);
    } catch (StoreUnavailableException e) {
      if (!isNoScript(e.getCause())) {
        throw e;
      }
    }
    return awaitUntil(
        what, subject, start(() -> redis.<T>eval(script.body(), type, scriptKeys, args)), deadline);
  }

  /** {@code EVALSHA}, and on {@code NOSCRIPT} {@code EVAL} (which also caches the script again). */
  <T> CompletionStage<T> eval(
      RedisScript script, ScriptOutputType type, String[] scriptKeys, String... args) {
    CompletionStage<T> bySha = redis.evalsha(script.sha(), type, scriptKeys, args);
    return bySha.exceptionallyCompose(
        e -> {
          Throwable cause = unwrap(e);
          if (isNoScript(cause)) {
            return redis.<T>eval(script.body(), type, scriptKeys, args);
          }
          return CompletableFuture.failedFuture(cause);
        });
  }

  private static boolean isNoScript(@Nullable Throwable e) {
    return e instanceof RedisNoScriptException
        || (e instanceof RedisException
            && e.getMessage() != null
            && e.getMessage().startsWith("NOSCRIPT"));
  }

  /** Sends a command; a Lettuce failure to send it (not connected) is a failed future. */
  static <T> CompletableFuture<T> start(Supplier<? extends CompletionStage<T>> command) {
    try {
      return command.get().toCompletableFuture();
    } catch (RedisException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Waits for {@code future} until {@code deadlineNanos} ({@link System#nanoTime}). */
  /** The deadline of a step that starts now: now + the command timeout, in nanoTime. */
  long deadline() {
    return System.nanoTime() + commandTimeoutNanos;
  }

  /**
   * {@link #eval} started now, its synchronous failures (a closed connection) turned into a failed
   * future: for commands sent one after the other without waiting, in one round trip.
   */
  <T> CompletableFuture<T> send(
      RedisScript script, ScriptOutputType type, String[] scriptKeys, String... args) {
    try {
      return this.<T>eval(script, type, scriptKeys, args).toCompletableFuture();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  <T> T awaitUntil(String op, CompletableFuture<T> future, long deadlineNanos) {
    return awaitUntil(op, "", future, deadlineNanos);
  }

  /** {@link #awaitUntil(String, CompletableFuture, long)} of the step {@code what + subject}. */
  private <T> T awaitUntil(
      String what, String subject, CompletableFuture<T> future, long deadlineNanos) {
    try {
      return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw unavailable(what + subject, "no answer within " + commandTimeout.toMillis() + " ms", e);
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = unwrap(e);
      String why =
          cause instanceof RedisCommandTimeoutException
              ? "no answer within " + commandTimeout.toMillis() + " ms"
              : String.valueOf(cause.getMessage());
      throw unavailable(what + subject, why, cause);
    } catch (CancellationException e) {
      throw unavailable(what + subject, "the command was cancelled", e);
    } catch (InterruptedException e) {
      future.cancel(false);
      Thread.currentThread().interrupt();
      throw unavailable(what + subject, "interrupted while waiting for Redis", e);
    }
  }

  private StoreUnavailableException unavailable(String op, String why, Throwable cause) {
    return new StoreUnavailableException(
        "Redis at " + server + " (prefix " + prefix + "): " + op + " failed: " + why, cause);
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof ExecutionException || t instanceof CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** {@code SCRIPT LOAD}s {@code scripts}, so that the first calls need no {@code EVAL}. */
  void loadScripts(Collection<RedisScript> scripts) {
    for (RedisScript script : scripts) {
      String sha = call("load of " + script.resource(), () -> redis.scriptLoad(script.body()));
      if (!script.sha().equals(sha)) {
        throw new IllegalStateException(
            "Redis at "
                + server
                + " named "
                + script.resource()
                + " "
                + sha
                + ", expected "
                + script.sha());
      }
    }
  }

  /** Closes the connection, and shuts down the client when this made it. */
  @Override
  public void close() {
    try {
      connection.close();
    } finally {
      if (ownedClient != null) {
        ownedClient.shutdown();
      }
    }
  }

  // ---- shared by the builders ---------------------------------------------------------------

  /** {@code host:port} of {@code uri} (or its socket, or its Sentinel master), for messages. */
  static String describe(RedisURI uri) {
    if (uri.getSocket() != null) {
      return "unix:" + uri.getSocket();
    }
    if (!uri.getSentinels().isEmpty()) {
      return "master "
          + uri.getSentinelMasterId()
          + " via sentinels "
          + uri.getSentinels().stream()
              .map(s -> s.getHost() + ":" + s.getPort())
              .collect(Collectors.joining(","));
    }
    return uri.getHost() + ":" + uri.getPort();
  }

  /**
   * {@code prefix}, when it can start every key of a store inside its hash tag: not empty, no '{',
   * '}' or whitespace.
   */
  static String checkPrefix(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    if (prefix.isEmpty()
        || prefix.chars().anyMatch(c -> c == '{' || c == '}' || Character.isWhitespace(c))) {
      throw new IllegalArgumentException(
          "prefix must be non-empty and have no '{', '}' or whitespace, but was \""
              + prefix
              + "\"");
    }
    return prefix;
  }

  /** {@code timeout}, when positive. */
  static Duration checkCommandTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("commandTimeout must be positive, but was " + timeout);
    }
    return timeout;
  }
}
