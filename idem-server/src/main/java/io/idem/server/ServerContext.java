package io.idem.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.idem.IdempotencyKey;
import io.idem.InProgressException;
import io.idem.Outcome;
import io.idem.PayloadMismatchException;
import io.idem.internal.JacksonResultCodec;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What route handlers share: the configuration, each request's tenant, JSON reading and writing
 * with clear 400s, the {@code Idempotency-Key} header, and the metrics registry. Thread-safe.
 */
public final class ServerContext {

  /** The request attribute holding the caller's {@link TenantStores}. */
  static final String TENANT_ATTRIBUTE = "idem.tenant";

  /** The longest {@code Idempotency-Key} header: 255 characters. */
  public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;

  private static final io.idem.ResultType<HttpReply> REPLY = io.idem.ResultType.of(HttpReply.class);

  private final ServerConfig config;
  private final Backend backend;
  private final ObjectMapper mapper;
  private final ServerMetrics metrics;

  ServerContext(ServerConfig config, Backend backend, PrometheusMeterRegistry registry) {
    this.config = config;
    this.backend = backend;
    this.metrics = new ServerMetrics(registry, config.clock());
    this.mapper =
        JacksonResultCodec.defaultMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  public ServerConfig config() {
    return config;
  }

  public ObjectMapper mapper() {
    return mapper;
  }

  /** The clock of the times the server writes and answers ({@link ServerConfig#clock()}). */
  public java.time.Clock clock() {
    return config.clock();
  }

  /** The ticker of the server's elapsed time ({@link ServerConfig#ticker()}). */
  public io.idem.Ticker ticker() {
    return config.ticker();
  }

  /** Counters and the recent-events log. */
  public ServerMetrics metrics() {
    return metrics;
  }

  /** The caller's stores (the tenant of its API key). */
  public TenantStores tenant(Context ctx) {
    TenantStores t = ctx.attribute(TENANT_ATTRIBUTE);
    if (t == null) {
      throw new IllegalStateException("no tenant resolved for " + ctx.path());
    }
    return t;
  }

  /** The stores of tenant {@code name} (for server-side tasks; handlers use {@link #tenant}). */
  public TenantStores tenantNamed(String name) {
    return backend.tenant(name);
  }

  /** The tenants opened so far. */
  public java.util.Map<String, TenantStores> openedTenants() {
    return backend.opened();
  }

  /** Writes {@code body} as JSON with {@code status}. */
  public void json(Context ctx, int status, Object body) {
    ctx.status(status);
    ctx.contentType("application/json");
    try {
      ctx.result(mapper.writeValueAsString(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a response as JSON", e);
    }
  }

  /** {@code value} as a JSON tree. */
  public JsonNode tree(Object value) {
    return mapper.valueToTree(value);
  }

  /**
   * Runs a POST with the IETF httpapi {@code Idempotency-Key} semantics: the first request with a
   * key runs {@code handler} and its reply is stored (under the tenant, the route and the key); a
   * replay gets the stored status and body with {@code Idempotent-Replayed: true}; a request while
   * the first is still running gets 409; the same key with another body gets 422. Without the
   * header the handler simply runs, unless {@code required}, which answers 400. A reply with status
   * 500 or more is not stored (the key can be used again).
   */
  public void idempotent(Context ctx, boolean required, Supplier<HttpReply> handler) {
    String header = ctx.header("Idempotency-Key");
    if (header == null) {
      if (required) {
        throw Problem.badRequest(
            "Idempotency-Key", "this route requires an Idempotency-Key header");
      }
      write(ctx, handler.get(), false);
      return;
    }
    String key = unquote(header);
    if (key.isBlank() || key.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw Problem.badRequest(
          "Idempotency-Key",
          "Idempotency-Key must be 1 to "
              + MAX_IDEMPOTENCY_KEY_LENGTH
              + " characters, but was "
              + key.length());
    }
    IdempotencyKey k;
    try {
      k = IdempotencyKey.readable(idempotencyRecordKey(ctx.method().name(), ctx.path(), key));
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest("Idempotency-Key", e.getMessage());
    }
    TenantStores t = tenant(ctx);
    Outcome<HttpReply> o;
    try {
      o =
          t.idem()
              .once(
                  k,
                  canonicalBody(ctx),
                  REPLY,
                  () -> {
                    HttpReply r = handler.get();
                    if (r.status() >= 500) {
                      throw new ServerErrorReply(r);
                    }
                    return r;
                  });
    } catch (InProgressException e) {
      metrics.conflict(t.tenant(), "record", k.value());
      throw Problem.conflict("a request with Idempotency-Key " + key + " is still being processed");
    } catch (PayloadMismatchException e) {
      metrics.mismatch(t.tenant(), "record", k.value());
      throw new Problem(
          422,
          "Unprocessable content",
          "Idempotency-Key " + key + " was already used with another request body",
          "Idempotency-Key");
    } catch (ServerErrorReply s) {
      write(ctx, s.reply, false);
      return;
    }
    if (o.wasReplayed()) {
      metrics.replay(t.tenant(), "record", k.value());
    } else {
      metrics.execution(t.tenant(), "record");
    }
    write(ctx, o.value(), o.wasReplayed());
  }

  /**
   * The record key of an {@code Idempotency-Key}: {@code http:<method>:<path>:<key>}, with '%' and
   * ':' of the path escaped, so that the path ends at the first ':' after the method and no two
   * (path, key) pairs meet; when that would be longer than a key may be, the path is replaced by
   * '#' and its SHA-256.
   */
  static String idempotencyRecordKey(String method, String path, String key) {
    String escaped = path.replace("%", "%25").replace(":", "%3A");
    String value = "http:" + method + ":" + escaped + ":" + key;
    if (value.length() > IdempotencyKey.MAX_LENGTH) {
      value =
          "http:"
              + method
              + ":#"
              + io.idem.internal.Hashing.sha256Hex(
                  path.getBytes(java.nio.charset.StandardCharsets.UTF_8))
              + ":"
              + key;
    }
    return value;
  }

  /**
   * The key of an {@code Idempotency-Key} header: the draft writes it as a structured-field string
   * ({@code "abc"}, RFC 8941), many clients send it bare ({@code abc}); both are the same key.
   */
  private static String unquote(String header) {
    if (header.isEmpty() || header.charAt(0) != '"') {
      return header;
    }
    StringBuilder sb = new StringBuilder(header.length());
    for (int i = 1; i < header.length(); i++) {
      char c = header.charAt(i);
      if (c == '"' && i == header.length() - 1) {
        return sb.toString();
      }
      if (c == '\\' && i + 1 < header.length()) {
        char n = header.charAt(++i);
        if (n != '"' && n != '\\') {
          break;
        }
        sb.append(n);
      } else if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        break;
      } else {
        sb.append(c);
      }
    }
    throw Problem.badRequest(
        "Idempotency-Key",
        "a quoted Idempotency-Key must be a structured-field string (\"...\" with \\\" and"
            + " \\\\ escapes)");
  }

  private @Nullable Object canonicalBody(Context ctx) {
    String text = ctx.body();
    if (text.isBlank()) {
      return null;
    }
    try {
      return mapper.readTree(text);
    } catch (JsonProcessingException e) {
      return text; // the handler answers 400; the fingerprint is the raw text
    }
  }

  private void write(Context ctx, HttpReply r, boolean replayed) {
    if (replayed) {
      ctx.header("Idempotent-Replayed", "true");
    }
    json(ctx, r.status(), r.body());
    if (r.status() >= 400) {
      ctx.contentType("application/problem+json");
    }
  }

  /** Carries a 5xx reply out of {@code once} so that it is not stored. */
  private static final class ServerErrorReply extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient HttpReply reply;

    ServerErrorReply(HttpReply reply) {
      super("server error reply", null, false, false);
      this.reply = Objects.requireNonNull(reply);
    }
  }
}
