package io.idem;

import org.jspecify.annotations.Nullable;

/**
 * A result could not be encoded for the store (not serialisable, or larger than the codec's limit)
 * or decoded from it.
 */
public final class ResultCodecException extends IdemException {
  private static final long serialVersionUID = 1L;

  public ResultCodecException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
