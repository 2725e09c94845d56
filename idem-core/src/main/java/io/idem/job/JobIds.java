package io.idem.job;

import io.idem.internal.Hashing;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** Job ids: time-ordered random ones, and deterministic ones. Thread-safe. */
public final class JobIds {

  private static final SecureRandom RANDOM = new SecureRandom();

  private JobIds() {}

  /**
   * A new random id in UUID version 7 form: its first 48 bits are the epoch milliseconds of {@code
   * now}, so ids sort roughly by creation.
   */
  public static String random(Instant now) {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    long ms = now.toEpochMilli();
    for (int i = 0; i < 6; i++) {
      b[i] = (byte) (ms >>> (40 - 8 * i));
    }
    b[6] = (byte) ((b[6] & 0x0f) | 0x70);
    b[8] = (byte) ((b[8] & 0x3f) | 0x80);
    return uuid(b);
  }

  /**
   * The id of a job of {@code type} with unique key {@code uniqueKey} in the period starting at
   * {@code bucket} (null without a period): the same from every process, so that a scheduler loop
   * and a manual trigger name one job. UUID version 8 form, from a SHA-256 of the three.
   */
  public static String deterministic(String type, String uniqueKey, @Nullable Instant bucket) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(uniqueKey, "uniqueKey");
    String text = type + '\u0000' + uniqueKey + '\u0000' + (bucket == null ? "" : bucket);
    byte[] digest =
        HexFormat.of()
            .parseHex(Hashing.sha256Hex(text.getBytes(StandardCharsets.UTF_8)).substring(0, 32));
    digest[6] = (byte) ((digest[6] & 0x0f) | 0x80);
    digest[8] = (byte) ((digest[8] & 0x3f) | 0x80);
    return uuid(digest);
  }

  private static String uuid(byte[] b) {
    String h = HexFormat.of().formatHex(b);
    return h.substring(0, 8)
        + '-'
        + h.substring(8, 12)
        + '-'
        + h.substring(12, 16)
        + '-'
        + h.substring(16, 20)
        + '-'
        + h.substring(20);
  }
}
