package io.idem;

import org.jspecify.annotations.Nullable;

/**
 * The caller's claim was taken over (its lease passed and another caller claimed the key with a
 * greater fencing token), so its result or failure was not recorded. The body did run.
 */
public final class LeaseLostException extends IdemException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final long token;

  public LeaseLostException(String key, long token, String detail, @Nullable Throwable cause) {
    super(
        "key "
            + key
            + ": the lease of token "
            + token
            + " was lost, "
            + detail
            + " (another caller took the key over after the lease passed)",
        cause);
    this.key = key;
    this.token = token;
  }

  public String key() {
    return key;
  }

  /** The fencing token that no longer holds the key. */
  public long token() {
    return token;
  }
}
