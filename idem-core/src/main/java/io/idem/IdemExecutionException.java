package io.idem;

/**
 * Wraps a checked exception thrown by a body; runtime exceptions and errors are rethrown as they
 * are. The cause is the body's exception.
 */
public final class IdemExecutionException extends IdemException {
  private static final long serialVersionUID = 1L;

  public IdemExecutionException(String key, Exception cause) {
    super("the body of key " + key + " failed: " + cause, cause);
  }
}
