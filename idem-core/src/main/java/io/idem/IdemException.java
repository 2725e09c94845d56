package io.idem;

import org.jspecify.annotations.Nullable;

/** The root of every exception Idem throws on purpose. */
public class IdemException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public IdemException(String message) {
    super(message);
  }

  public IdemException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
