package io.idem;

/**
 * Hears every {@link IdemEvent}. Called on the caller's thread (heartbeat events on Idem's
 * scheduler thread), so it must be fast and thread-safe; an exception it throws is logged and
 * ignored.
 */
@FunctionalInterface
public interface IdemListener {

  /** Hears nothing. */
  IdemListener NOOP = event -> {};

  void onEvent(IdemEvent event);
}
