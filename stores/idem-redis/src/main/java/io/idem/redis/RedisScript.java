package io.idem.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * The Lua scripts of this package's stores, one per atomic step, read from {@code
 * io/idem/redis/*.lua}, with the SHA-1 digest that {@code EVALSHA} names them by. Each store loads
 * its own group ({@link #RECORD_STEPS}, {@link #SET_STEPS}, {@link #LOCK_STEPS}, {@link
 * #JOB_STEPS}) when it is built. The job scripts share their functions: each is {@code job-lib.lua}
 * followed by its own text, so each step is still one script.
 */
enum RedisScript {
  CLAIM("claim.lua"),
  COMPLETE("complete.lua"),
  FAIL("fail.lua"),
  EXTEND("extend.lua"),
  DELETE("delete.lua"),
  PURGE("purge.lua"),
  SET_ADD("set-add.lua"),
  SET_REMOVE("set-remove.lua"),
  SET_CLEAR("set-clear.lua"),
  LOCK_ACQUIRE("lock-acquire.lua"),
  LOCK_EXTEND("lock-extend.lua"),
  LOCK_RELEASE("lock-release.lua"),
  JOB_ENQUEUE("job-enqueue.lua", Lib.JOB),
  JOB_CLAIM("job-claim.lua", Lib.JOB),
  JOB_HEARTBEAT("job-heartbeat.lua", Lib.JOB),
  JOB_COMPLETE("job-complete.lua", Lib.JOB),
  JOB_FAIL("job-fail.lua", Lib.JOB),
  JOB_RELEASE("job-release.lua", Lib.JOB),
  JOB_CANCEL("job-cancel.lua", Lib.JOB),
  JOB_RETRY("job-retry.lua", Lib.JOB),
  JOB_MAINTAIN("job-maintain.lua", Lib.JOB),
  JOB_PURGE("job-purge.lua", Lib.JOB),
  JOB_STATS("job-stats.lua", Lib.JOB),
  JOB_LIST("job-list.lua", Lib.JOB);

  /** The steps of {@link RedisIdempotencyStore}. */
  static final Set<RedisScript> RECORD_STEPS =
      Collections.unmodifiableSet(EnumSet.of(CLAIM, COMPLETE, FAIL, EXTEND, DELETE, PURGE));

  /** The steps of {@link RedisProcessedSetStore}. */
  static final Set<RedisScript> SET_STEPS =
      Collections.unmodifiableSet(EnumSet.of(SET_ADD, SET_REMOVE, SET_CLEAR));

  /** The steps of {@link RedisLockStore}. */
  static final Set<RedisScript> LOCK_STEPS =
      Collections.unmodifiableSet(EnumSet.of(LOCK_ACQUIRE, LOCK_EXTEND, LOCK_RELEASE));

  /** The steps of {@link RedisJobStore}. */
  static final Set<RedisScript> JOB_STEPS =
      Collections.unmodifiableSet(
          EnumSet.of(
              JOB_ENQUEUE,
              JOB_CLAIM,
              JOB_HEARTBEAT,
              JOB_COMPLETE,
              JOB_FAIL,
              JOB_RELEASE,
              JOB_CANCEL,
              JOB_RETRY,
              JOB_MAINTAIN,
              JOB_PURGE,
              JOB_STATS,
              JOB_LIST));

  private final String resource;
  private final String body;
  private final String sha;

  RedisScript(String resource) {
    this(resource, "");
  }

  /** A script whose text is {@code prelude} (shared functions) followed by the resource's. */
  RedisScript(String resource, String prelude) {
    this.resource = resource;
    this.body = prelude + read(resource);
    this.sha = sha1(body);
  }

  /** The resource's name, for messages. */
  String resource() {
    return resource;
  }

  /** The script's text. */
  String body() {
    return body;
  }

  /** The lower-case hex SHA-1 of the script, as Redis names it. */
  String sha() {
    return sha;
  }

  /** The shared text of the job scripts (a holder class, so the constants can use it). */
  private static final class Lib {
    static final String JOB = read("job-lib.lua") + "\n";
  }

  private static String read(String resource) {
    try (InputStream in = RedisScript.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "io/idem/redis/" + resource + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read io/idem/redis/" + resource, e);
    }
  }

  private static String sha1(String text) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is not available", e);
    }
  }
}
