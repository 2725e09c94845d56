package io.idem.server;

import io.javalin.Javalin;

/** A group of routes of the server (jobs, records, locks, ...). */
public interface Routes {

  /** Adds the routes to {@code app}; handlers reach tenants and helpers through {@code server}. */
  void register(Javalin app, ServerContext server);
}
