package io.idem.redis;

import io.idem.testkit.servers.RedisServer;
import io.idem.testkit.servers.TestServers;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Shared helpers of this module's tests: the test Redis, one client, unique prefixes. */
final class RedisTesting {

  private static RedisClient client;
  private static StatefulRedisConnection<String, String> admin;

  private RedisTesting() {}

  static RedisServer server() {
    return TestServers.redis();
  }

  static RedisURI uri() {
    return RedisURI.create(server().uri());
  }

  /** A client shared by the tests of this JVM, with the options the store gives its own. */
  static synchronized RedisClient client() {
    if (client == null) {
      RedisClient c = RedisClient.create();
      c.setOptions(
          ClientOptions.builder()
              .autoReconnect(true)
              .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
              .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(5)))
              .build());
      Runtime.getRuntime().addShutdownHook(new Thread(c::shutdown, "idem-redis-test-client"));
      client = c;
    }
    return client;
  }

  /**
   * Plain commands on the test server, for looking behind a store's back; a new connection when the
   * last one does not answer (the server was restarted and it has not reconnected yet).
   */
  static synchronized RedisCommands<String, String> admin() {
    if (admin != null) {
      try {
        admin.sync().ping();
      } catch (RedisException e) {
        admin.close();
        admin = null;
      }
    }
    if (admin == null) {
      admin = client().connect(uri());
    }
    return admin.sync();
  }

  /** A prefix no other test uses. */
  static String uniquePrefix(String what) {
    return "t-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Every Redis key of {@code prefix} (its shards and its layout key). */
  static List<String> keysOf(String prefix) {
    RedisCommands<String, String> r = admin();
    List<String> found = new ArrayList<>();
    ScanArgs args = ScanArgs.Builder.matches("{" + prefix + "[:}]*").limit(1000);
    KeyScanCursor<String> cursor = r.scan(args);
    while (true) {
      found.addAll(cursor.getKeys());
      if (cursor.isFinished()) {
        return found;
      }
      cursor = r.scan(ScanCursor.of(cursor.getCursor()), args);
    }
  }

  /** Deletes every Redis key of {@code prefix}. */
  static void deleteKeysOf(String prefix) {
    List<String> found = keysOf(prefix);
    if (!found.isEmpty()) {
      admin().del(found.toArray(String[]::new));
    }
  }
}
