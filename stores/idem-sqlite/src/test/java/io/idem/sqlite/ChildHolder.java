package io.idem.sqlite;

import io.idem.Idem;
import io.idem.IdemPolicy;
import io.idem.IdempotencyKey;
import io.idem.testkit.servers.ParentWatch;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A separate JVM for crash tests: claims a key in a SQLite file through {@link Idem} and then
 * hangs, so that the test can kill it with {@code destroyForcibly} at a known point.
 *
 * <p>Arguments: the database file, the readable key, and the mode: {@code hold} (the body prints
 * {@code HOLDING <token>} and never returns) or {@code complete} (the call completes with the value
 * {@code "from-child"}, then prints {@code DONE <token>} and hangs).
 */
public final class ChildHolder {

  private ChildHolder() {}

  public static void main(String[] args) throws Exception {
    ParentWatch.haltWhenParentEnds(); // no child outlives the test JVM
    Path db = Path.of(args[0]);
    IdempotencyKey key = IdempotencyKey.readable(args[1]);
    String mode = args[2];
    SqliteDatabase database = SqliteDatabase.open(db);
    Idem idem = Idem.builder(database.idempotencyStore()).noBackgroundPurge().build();
    IdemPolicy policy =
        IdemPolicy.builder().lease(Duration.ofSeconds(2)).heartbeat(Duration.ofMillis(500)).build();
    if (mode.equals("hold")) {
      idem.once(
          key,
          null,
          policy,
          () -> {
            long token = idem.inspect(key).orElseThrow().token();
            System.out.println("HOLDING " + token);
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
            return "never";
          });
    } else {
      long token = idem.once(key, null, policy, () -> "from-child").token();
      System.out.println("DONE " + token);
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
