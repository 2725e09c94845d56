package io.idem.server;

import io.idem.StoreUnavailableException;
import io.idem.internal.Texts;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server of {@code idem serve}: a JSON API under {@code /v1} for each tenant (by API key:
 * {@code Authorization: Bearer <key>} or {@code X-Api-Key}), errors as problem+json (also the
 * answers Jetty writes itself to requests it refuses before routing: {@link JettyProblems}), limits
 * on body size, and the routes of every {@link Routes} module.
 *
 * <pre>{@code
 * try (IdemServer server = IdemServer.start(ServerConfig.builder().port(0).build())) {
 *   System.out.println(server.baseUrl());
 * }
 * }</pre>
 */
public final class IdemServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(IdemServer.class);

  /** The route modules, in order. */
  static List<Routes> modules() {
    List<Routes> m = new ArrayList<>();
    m.add(new HealthRoutes());
    m.add(new RecordRoutes());
    m.add(new TrackerRoutes());
    m.add(new LockRoutes());
    m.add(new JobRoutes());
    m.add(new MetricsRoutes());
    m.add(new DashboardRoutes());
    m.add(new OpenApiRoutes());
    return m;
  }

  private final Backend backend;
  private final ServerContext context;
  private final Javalin app;

  private IdemServer(ServerConfig config) {
    this.backend = new Backend(config);
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.context = new ServerContext(config, backend, metrics);
    JettyProblems jettyProblems = new JettyProblems(context.mapper());
    this.app =
        Javalin.create(
            c -> {
              c.showJavalinBanner = false;
              c.http.maxRequestSize = config.maxBodyBytes();
              c.jsonMapper(new JavalinJackson(context.mapper(), false));
              jettyProblems.install(c, config.host(), config.port());
            });
    app.before("/v1/*", IdemServer::requireLength);
    app.before("/v1/*", ctx -> refuseDeclaredTooLarge(ctx, config.maxBodyBytes()));
    app.before("/v1/*", IdemServer::requireWellFormedQuery);
    app.before("/v1/*", this::authenticate);
    app.exception(Problem.class, (e, ctx) -> problem(ctx, e));
    app.exception(
        IllegalArgumentException.class,
        (e, ctx) -> problem(ctx, Problem.badRequest("body", String.valueOf(e.getMessage()))));
    app.exception(
        StoreUnavailableException.class,
        (e, ctx) -> {
          log.warn("store unavailable: {}", e.getMessage());
          problem(ctx, new Problem(503, "Store unavailable", "the store cannot be reached", null));
        });
    app.exception(
        HttpResponseException.class,
        (e, ctx) ->
            problem(
                ctx,
                new Problem(
                    e.getStatus(),
                    "HTTP " + e.getStatus(),
                    e.getMessage() == null ? "" : e.getMessage(),
                    null)));
    app.exception(
        Exception.class,
        (e, ctx) -> {
          log.error("request {} {} failed", ctx.method(), ctx.path(), e);
          problem(ctx, new Problem(500, "Internal error", "the server failed; see its log", null));
        });
    app.error(
        404,
        ctx -> {
          if (!"application/problem+json".equals(ctx.res().getContentType())) {
            if (ctx.method() == HandlerType.INVALID) { // a method Javalin does not know
              problem(
                  ctx,
                  new Problem(
                      405,
                      "Method not allowed",
                      "the method "
                          + Texts.printable(ctx.req().getMethod())
                          + " is not supported (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS)",
                      "method"));
            } else {
              problem(ctx, Problem.notFound("no route " + ctx.method() + " " + ctx.path()));
            }
          }
        });
    app.error(
        413,
        ctx -> {
          String type = ctx.res().getContentType();
          if (type == null || !type.startsWith("application/problem+json")) {
            problem(
                ctx,
                new Problem(
                    413,
                    "Content too large",
                    "the request body is larger than " + config.maxBodyBytes() + " bytes",
                    "body"));
          }
        });
    for (Routes r : modules()) {
      r.register(app, context);
    }
  }

  /** Starts a server with {@code config}. */
  public static IdemServer start(ServerConfig config) {
    IdemServer s = new IdemServer(config);
    s.app.start(); // on the connector JettyProblems.install added (config's host and port)
    log.info(
        "idem server on {} with store {}{}",
        s.baseUrl(),
        config.store(),
        config.apiKeys().isEmpty() ? " (no API keys: every request is tenant 'default')" : "");
    return s;
  }

  /** The port the server listens on. */
  public int port() {
    return app.port();
  }

  /** {@code http://host:port}. */
  public String baseUrl() {
    return "http://" + context.config().host() + ":" + port();
  }

  /** The Javalin app (tests read the routes registered). */
  Javalin app() {
    return app;
  }

  /** What route handlers share (tests reach stores through it). */
  public ServerContext context() {
    return context;
  }

  private void authenticate(Context ctx) {
    Map<String, String> keys = context.config().apiKeys();
    String tenant;
    if (keys.isEmpty()) {
      tenant = ServerConfig.DEFAULT_TENANT;
    } else {
      String key = ctx.header("X-Api-Key");
      String auth = ctx.header("Authorization");
      if (key == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
        key = auth.substring(7).trim();
      }
      tenant = key == null ? null : keys.get(key);
      if (tenant == null) {
        ctx.header("WWW-Authenticate", "Bearer");
        throw new Problem(
            401,
            "Unauthorized",
            key == null
                ? "an API key is required (Authorization: Bearer <key>)"
                : "unknown API key",
            null);
      }
    }
    ctx.attribute(ServerContext.TENANT_ATTRIBUTE, backend.tenant(tenant));
  }

  /**
   * Refuses a body sent without a Content-Length (chunked): the size limit is checked against
   * Content-Length, so an unbounded chunked body is answered 411 before anything reads it.
   */
  private static void requireLength(Context ctx) {
    String te = ctx.header("Transfer-Encoding");
    if (te != null && ctx.header("Content-Length") == null) {
      throw new Problem(
          411,
          "Length required",
          "send the request body with a Content-Length (chunked bodies are not accepted)",
          "body");
    }
  }

  /**
   * Answers 413 at once to a request whose Content-Length is over the limit, before anything reads
   * the body (otherwise a client that declared a large body and sent none would wait for the idle
   * timeout).
   */
  private static void refuseDeclaredTooLarge(Context ctx, int maxBodyBytes) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBodyBytes) {
      ctx.header("Connection", "close");
      throw new Problem(
          413,
          "Content too large",
          "the request body (Content-Length "
              + declared
              + ") is larger than "
              + maxBodyBytes
              + " bytes",
          "body");
    }
  }

  /**
   * Refuses a query string with a malformed percent-encoding ({@code ?state=%zz}): Jetty drops such
   * a parameter, which would silently widen a filter; the client gets a 400 naming it.
   */
  private static void requireWellFormedQuery(Context ctx) {
    String query = ctx.queryString();
    if (query == null) {
      return;
    }
    for (String part : query.split("&", -1)) {
      for (int i = 0; i < part.length(); i++) {
        if (part.charAt(i) == '%'
            && (i + 2 >= part.length()
                || Character.digit(part.charAt(i + 1), 16) < 0
                || Character.digit(part.charAt(i + 2), 16) < 0)) {
          String name = part.contains("=") ? part.substring(0, part.indexOf('=')) : part;
          throw Problem.badRequest(
              "query",
              "the query parameter '"
                  + Texts.printable(name)
                  + "' has a malformed percent-encoding: "
                  + Texts.printable(part));
        }
      }
    }
  }

  static void problem(Context ctx, Problem p) {
    ctx.status(p.status());
    ctx.contentType("application/problem+json");
    ctx.json(p.body(ctx.path()));
    ctx.contentType("application/problem+json");
  }

  @Override
  public void close() {
    app.stop();
    backend.close();
    context.metrics().registry().close();
  }
}
