package io.idem.spi;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A failure as a store keeps it.
 *
 * @param type the exception's class name
 * @param message the exception's message, or null
 */
public record StoredError(String type, @Nullable String message) {

  /** Longest message kept, in characters; longer ones are cut. */
  public static final int MAX_MESSAGE_LENGTH = 4000;

  public StoredError {
    Objects.requireNonNull(type, "type");
    if (message != null && message.length() > MAX_MESSAGE_LENGTH) {
      message = message.substring(0, MAX_MESSAGE_LENGTH);
    }
  }

  /** The class name and message of {@code error}. */
  public static StoredError of(Throwable error) {
    return new StoredError(error.getClass().getName(), error.getMessage());
  }
}
