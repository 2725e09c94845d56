package io.idem;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The key's body failed earlier and the failure policy cached that failure: the body is not run
 * again before {@link #retryAfter()}.
 */
public final class CachedFailureException extends IdemException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final String errorType;
  private final @Nullable String errorMessage;
  private final @Nullable Instant retryAfter;

  public CachedFailureException(
      String key, String errorType, @Nullable String errorMessage, @Nullable Instant retryAfter) {
    super(
        "key "
            + key
            + " failed earlier with "
            + errorType
            + (errorMessage == null ? "" : ": " + errorMessage)
            + " (cached until "
            + retryAfter
            + ")");
    this.key = key;
    this.errorType = errorType;
    this.errorMessage = errorMessage;
    this.retryAfter = retryAfter;
  }

  public String key() {
    return key;
  }

  /** The class name of the original exception. */
  public String errorType() {
    return errorType;
  }

  /** The original exception's message. */
  public @Nullable String errorMessage() {
    return errorMessage;
  }

  /** When the key may be claimed again. */
  public @Nullable Instant retryAfter() {
    return retryAfter;
  }
}
