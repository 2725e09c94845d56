package io.idem.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers. Thread-safe: one digest instance per thread. */
public final class Hashing {

  private static final HexFormat HEX = HexFormat.of();
  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("the JDK has no SHA-256", e);
            }
          });

  private Hashing() {}

  /** Lower-case hex of the SHA-256 of {@code bytes}: 64 characters. */
  public static String sha256Hex(byte[] bytes) {
    MessageDigest digest = SHA256.get();
    digest.reset();
    return HEX.formatHex(digest.digest(bytes));
  }
}
