package io.idem.server;

import io.javalin.Javalin;
import java.util.Map;

/** {@code GET /health}: 200 while the server runs (no API key needed). */
final class HealthRoutes implements Routes {

  @Override
  public void register(Javalin app, ServerContext server) {
    app.get(
        "/health",
        ctx -> server.json(ctx, 200, Map.of("status", "up", "store", server.config().store())));
  }
}
