package io.idem;

import org.jspecify.annotations.Nullable;

/** The backend could not be reached or failed; the message names the store and the operation. */
public final class StoreUnavailableException extends IdemException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
