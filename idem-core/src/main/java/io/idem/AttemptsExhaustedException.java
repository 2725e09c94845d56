package io.idem;

import org.jspecify.annotations.Nullable;

/** The key could be claimed again, but it has had its policy's maxAttempts claims already. */
public final class AttemptsExhaustedException extends IdemException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final int attempts;

  public AttemptsExhaustedException(
      String key, int attempts, int maxAttempts, @Nullable String lastError) {
    super(
        "key "
            + key
            + " has had "
            + attempts
            + " attempts (maxAttempts "
            + maxAttempts
            + ")"
            + (lastError == null ? "" : "; last error: " + lastError));
    this.key = key;
    this.attempts = attempts;
  }

  public String key() {
    return key;
  }

  public int attempts() {
    return attempts;
  }
}
