package io.idem.server;

import io.javalin.Javalin;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /openapi.json}: the OpenAPI 3.1 document of every route of the server (no API key
 * needed), served as it is kept in {@value #RESOURCE}. {@code OpenApiTest} checks it against the
 * routes the server registers, in both directions, and real answers against its schemas.
 */
final class OpenApiRoutes implements Routes {

  /** Where the document is on the classpath. */
  static final String RESOURCE = "io/idem/server/openapi.json";

  @Override
  public void register(Javalin app, ServerContext server) {
    byte[] document = document();
    app.get(
        "/openapi.json",
        ctx -> {
          ctx.contentType("application/json");
          ctx.header("Cache-Control", "no-cache");
          ctx.result(document);
        });
  }

  /** The document's bytes. */
  static byte[] document() {
    try (InputStream in = OpenApiRoutes.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the OpenAPI document " + RESOURCE + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
