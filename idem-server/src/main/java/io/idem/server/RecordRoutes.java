package io.idem.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.idem.IdempotencyKey;
import io.idem.PayloadFingerprint;
import io.idem.ResultCodec;
import io.idem.TtlCategories;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.RecordState;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Idempotency records over HTTP, so that any language gets {@code once()}: claim a key, run the
 * effect, then complete or fail it with the claim's fencing token. The tenant's {@link
 * IdempotencyStore} is used through the SPI, with the payload fingerprint {@link io.idem.Idem}
 * computes, so Java callers of {@code idem.once} on the same store and HTTP callers see the same
 * records.
 *
 * <ul>
 *   <li>{@code POST /v1/records/claim {key, payload?, lease? (default PT30S), ttl?}}: 201 {@code
 *       {state:"claimed", token, attempt, leaseUntil}}; 200 {@code {state:"completed", result,
 *       replayed:true}} for a completed key; 200 {@code {state:"failed", error, retryAfter,
 *       replayed:true}} while a failure is cached; 409 while another holder's lease runs (with
 *       {@code leaseUntil}); 422 when the key was used with another payload.
 *   <li>{@code POST /v1/records/complete {key, token, result, ttl?}}: 200, or 409 when the token no
 *       longer holds the key. Repeating a complete that succeeded, with the same result, answers
 *       200 again ({@code replayed:true}), so a client may retry it after a lost response.
 *   <li>{@code POST /v1/records/fail {key, token, error, retryable? (default true), retryAfter?,
 *       ttl?}}: 200 or 409 (repeatable like complete, with the same error). Retryable without
 *       retryAfter releases the key at once; with retryAfter claims get the failure until then; not
 *       retryable caches the failure for the TTL.
 *   <li>{@code POST /v1/records/extend {key, token, lease}}: 200 with the new {@code leaseUntil},
 *       or 409.
 *   <li>{@code GET /v1/records/{key}}: the record, or 404 (keys may contain '/').
 * </ul>
 *
 * The TTL defaults as in Idem: the TTL category named by the key's namespace ({@code email:...} 2
 * h, {@code report:...} 24 h, ...), else 1 h. These routes do not use the {@code Idempotency-Key}
 * header: the record's key is the idempotency key.
 */
final class RecordRoutes implements Routes {

  /** The longest lease: one day (a longer task extends its lease). */
  static final Duration MAX_LEASE = Duration.ofDays(1);

  /** The longest TTL and retryAfter: ten years. */
  static final Duration MAX_TTL = Duration.ofDays(3650);

  static final Duration MIN_TIME = Duration.ofMillis(1);

  private static final Set<String> CLAIM = Set.of("key", "payload", "lease", "ttl");
  private static final Set<String> COMPLETE = Set.of("key", "token", "result", "ttl");
  private static final Set<String> FAIL =
      Set.of("key", "token", "error", "retryable", "retryAfter", "ttl");
  private static final Set<String> EXTEND = Set.of("key", "token", "lease");

  @Override
  public void register(Javalin app, ServerContext server) {
    app.post("/v1/records/claim", ctx -> claim(server, ctx));
    app.post("/v1/records/complete", ctx -> complete(server, ctx));
    app.post("/v1/records/fail", ctx -> fail(server, ctx));
    app.post("/v1/records/extend", ctx -> extend(server, ctx));
    app.get("/v1/records/<key>", ctx -> get(server, ctx));
  }

  private static void claim(ServerContext server, Context ctx) {
    JsonFields f = JsonFields.read(server, ctx, CLAIM);
    String key = key(f.text("key", IdempotencyKey.MAX_LENGTH));
    JsonNode payload = f.node("payload");
    JsonFields.requireStorable("payload", payload);
    String fingerprint;
    try {
      fingerprint = PayloadFingerprint.of(payload == null || payload.isNull() ? null : payload);
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest("payload", "payload has no canonical form: " + e.getMessage());
    }
    Duration lease = f.duration("lease", Duration.ofSeconds(30), MIN_TIME, MAX_LEASE);
    Duration ttl = f.duration("ttl", defaultTtl(key), MIN_TIME, MAX_TTL);
    TenantStores t = server.tenant(ctx);
    ClaimResult claim =
        t.idempotencyStore()
            .claim(new ClaimRequest(key, fingerprint, lease, ttl, Integer.MAX_VALUE));
    IdempotencyRecord r = claim.record();
    ServerMetrics metrics = server.metrics();
    switch (claim.status()) {
      case CLAIMED -> {
        metrics.execution(t.tenant(), "record");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("state", "claimed");
        body.put("key", key);
        body.put("token", r.token());
        body.put("attempt", r.attempt());
        body.put("leaseUntil", r.leaseUntil());
        server.json(ctx, 201, body);
      }
      case COMPLETED -> {
        metrics.replay(t.tenant(), "record", key);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("state", "completed");
        body.put("key", key);
        putResult(server, body, r.result());
        body.put("replayed", true);
        body.put("token", r.token());
        body.put("attempt", r.attempt());
        body.put("completedAt", r.updatedAt());
        server.json(ctx, 200, body);
      }
      case CACHED_FAILURE -> {
        metrics.replay(t.tenant(), "record", key);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("state", "failed");
        body.put("key", key);
        body.put("error", error(r.error()));
        body.put("retryAfter", r.retryAfter());
        body.put("replayed", true);
        body.put("token", r.token());
        body.put("attempt", r.attempt());
        server.json(ctx, 200, body);
      }
      case IN_PROGRESS -> {
        metrics.conflict(t.tenant(), "record", key);
        throw Problem.conflict("key " + key + " is in progress elsewhere")
            .with("key", key)
            .with("leaseUntil", r.leaseUntil())
            .with("attempt", r.attempt());
      }
      case MISMATCH -> {
        metrics.mismatch(t.tenant(), "record", key);
        throw new Problem(
                422,
                "Unprocessable content",
                "key " + key + " was already used with another payload",
                "payload")
            .with("key", key);
      }
      case EXHAUSTED ->
          throw Problem.conflict("key " + key + " has no attempts left")
              .with("key", key)
              .with("attempt", r.attempt());
      default -> throw new IllegalStateException("unknown claim status " + claim.status());
    }
  }

  private static void complete(ServerContext server, Context ctx) {
    JsonFields f = JsonFields.read(server, ctx, COMPLETE);
    String key = key(f.text("key", IdempotencyKey.MAX_LENGTH));
    long token = f.integer("token", 0, Long.MAX_VALUE);
    if (!f.has("result")) {
      throw Problem.badRequest("result", "result is required (any JSON value, null included)");
    }
    JsonNode result = f.node("result");
    JsonFields.requireStorable("result", result);
    StoredResult stored = stored(server, result);
    Duration ttl = f.duration("ttl", defaultTtl(key), MIN_TIME, MAX_TTL);
    IdempotencyStore store = server.tenant(ctx).idempotencyStore();
    boolean done = store.complete(key, token, stored, ttl);
    if (!done
        && !finishedBy(
            store,
            key,
            token,
            r -> r.state() == RecordState.COMPLETED && sameResult(server, r.result(), stored))) {
      throw notHolder(key, token);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("state", "completed");
    body.put("key", key);
    body.put("token", token);
    if (!done) {
      body.put("replayed", true);
    }
    server.json(ctx, 200, body);
  }

  private static void fail(ServerContext server, Context ctx) {
    JsonFields f = JsonFields.read(server, ctx, FAIL);
    String key = key(f.text("key", IdempotencyKey.MAX_LENGTH));
    long token = f.integer("token", 0, Long.MAX_VALUE);
    StoredError error = storedError(f.node("error"));
    boolean retryable = f.bool("retryable", true);
    Duration ttl = f.duration("ttl", defaultTtl(key), MIN_TIME, MAX_TTL);
    Duration retryAfter;
    if (retryable) {
      retryAfter = f.duration("retryAfter", Duration.ZERO, Duration.ZERO, MAX_TTL);
    } else {
      if (f.node("retryAfter") != null && !f.node("retryAfter").isNull()) {
        throw Problem.badRequest(
            "retryAfter", "retryAfter applies to retryable failures only (retryable is false)");
      }
      retryAfter = ttl;
    }
    IdempotencyStore store = server.tenant(ctx).idempotencyStore();
    boolean done = store.fail(key, token, error, retryAfter, ttl);
    if (!done
        && !finishedBy(
            store, key, token, r -> r.state() == RecordState.FAILED && error.equals(r.error()))) {
      throw notHolder(key, token);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("state", "failed");
    body.put("key", key);
    body.put("token", token);
    body.put("retryable", retryable);
    body.put("retryAfter", retryAfter.toString());
    if (!done) {
      body.put("replayed", true);
    }
    server.json(ctx, 200, body);
  }

  private static void extend(ServerContext server, Context ctx) {
    JsonFields f = JsonFields.read(server, ctx, EXTEND);
    String key = key(f.text("key", IdempotencyKey.MAX_LENGTH));
    long token = f.integer("token", 0, Long.MAX_VALUE);
    Duration lease = f.duration("lease", null, MIN_TIME, MAX_LEASE);
    IdempotencyStore store = server.tenant(ctx).idempotencyStore();
    if (!store.extend(key, token, lease)) {
      throw notHolder(key, token);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("state", "claimed");
    body.put("key", key);
    body.put("token", token);
    store
        .get(key)
        .filter(r -> r.token() == token && r.state() == RecordState.IN_PROGRESS)
        .ifPresent(r -> body.put("leaseUntil", r.leaseUntil()));
    server.json(ctx, 200, body);
  }

  private static void get(ServerContext server, Context ctx) {
    String key = key(ctx.pathParam("key"));
    Optional<IdempotencyRecord> r = server.tenant(ctx).idempotencyStore().get(key);
    if (r.isEmpty()) {
      throw Problem.notFound("no record for key " + key);
    }
    server.json(ctx, 200, render(server, r.get()));
  }

  /** A record as the API shows it. */
  static Map<String, Object> render(ServerContext server, IdempotencyRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", r.key());
    m.put("state", r.state().name().toLowerCase(Locale.ROOT));
    m.put("token", r.token());
    m.put("attempt", r.attempt());
    m.put("fingerprint", r.fingerprint());
    if (r.leaseUntil() != null) {
      m.put("leaseUntil", r.leaseUntil());
    }
    if (r.retryAfter() != null) {
      m.put("retryAfter", r.retryAfter());
    }
    if (r.state() == RecordState.COMPLETED) {
      putResult(server, m, r.result());
    }
    if (r.state() == RecordState.FAILED) {
      m.put("error", error(r.error()));
    }
    m.put("expiresAt", r.expiresAt());
    m.put("createdAt", r.createdAt());
    m.put("updatedAt", r.updatedAt());
    return m;
  }

  /** {@code key}, when it is a valid readable idempotency key. */
  static String key(String key) {
    try {
      return IdempotencyKey.readable(key).value();
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest("key", String.valueOf(e.getMessage()));
    }
  }

  private static Duration defaultTtl(String key) {
    return TtlCategories.defaults().ttlFor(IdempotencyKey.readable(key).namespace());
  }

  /**
   * True when the record of {@code key} was already finished under {@code token} as {@code
   * finished} says: a repeated complete or fail (a retry after a lost response) answers 200 again.
   */
  private static boolean finishedBy(
      IdempotencyStore store,
      String key,
      long token,
      java.util.function.Predicate<IdempotencyRecord> finished) {
    return store.get(key).filter(r -> r.token() == token && finished.test(r)).isPresent();
  }

  private static boolean sameResult(
      ServerContext server, @Nullable StoredResult stored, StoredResult sent) {
    if (stored == null) {
      return false;
    }
    try {
      return server
          .mapper()
          .readTree(stored.encoded())
          .equals(server.mapper().readTree(sent.encoded()));
    } catch (JsonProcessingException e) {
      return false;
    }
  }

  private static Problem notHolder(String key, long token) {
    return Problem.conflict("token " + token + " does not hold key " + key)
        .with("key", key)
        .with("token", token);
  }

  /**
   * The stored form of a JSON result: its exact text, typed as Java's {@code once} would store the
   * same value (a map, list, string, number or boolean), so Java callers can replay it.
   */
  private static StoredResult stored(ServerContext server, @Nullable JsonNode result) {
    if (result == null || result.isNull()) {
      return new StoredResult("null", "null", null);
    }
    String text;
    try {
      text = server.mapper().writeValueAsString(result);
    } catch (JsonProcessingException e) {
      throw Problem.badRequest("result", "result cannot be written as JSON");
    }
    if (text.length() > ResultCodec.DEFAULT_MAX_ENCODED_CHARS) {
      throw new Problem(
          413,
          "Content too large",
          "result is "
              + text.length()
              + " characters, above the limit of "
              + ResultCodec.DEFAULT_MAX_ENCODED_CHARS,
          "result");
    }
    return new StoredResult(javaType(result), text, null);
  }

  private static String javaType(JsonNode n) {
    if (n.isObject()) {
      return LinkedHashMap.class.getName();
    }
    if (n.isArray()) {
      return java.util.ArrayList.class.getName();
    }
    if (n.isTextual()) {
      return String.class.getName();
    }
    if (n.isBoolean()) {
      return Boolean.class.getName();
    }
    if (n.isInt()) {
      return Integer.class.getName();
    }
    if (n.isLong()) {
      return Long.class.getName();
    }
    if (n.isBigInteger()) {
      return java.math.BigInteger.class.getName();
    }
    if (n.isBigDecimal()) {
      return java.math.BigDecimal.class.getName();
    }
    if (n.isNumber()) {
      return Double.class.getName();
    }
    return Object.class.getName();
  }

  private static void putResult(
      ServerContext server, Map<String, Object> m, @Nullable StoredResult r) {
    if (r == null) {
      m.put("result", null);
      return;
    }
    JsonNode value;
    try {
      value = server.mapper().readTree(r.encoded());
    } catch (JsonProcessingException | RuntimeException e) {
      value = server.tree(r.encoded()); // not JSON (another codec): the text itself
    }
    m.put("result", value);
    m.put("resultType", r.type());
  }

  private static @Nullable Map<String, Object> error(@Nullable StoredError e) {
    if (e == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", e.type());
    m.put("message", e.message());
    return m;
  }

  /** {@code error}: a message string, or {@code {type?, message?}}. */
  private static StoredError storedError(@Nullable JsonNode error) {
    if (error == null || error.isNull()) {
      throw Problem.badRequest(
          "error", "error is required: a message, or an object {type, message}");
    }
    if (error.isTextual()) {
      return new StoredError("error", message("error", error.asText()));
    }
    if (!error.isObject()) {
      throw Problem.badRequest(
          "error",
          "error must be a message string or an object {type, message}, but was "
              + JsonFields.kind(error));
    }
    String type = "error";
    String message = null;
    for (Map.Entry<String, JsonNode> e : error.properties()) {
      JsonNode v = e.getValue();
      switch (e.getKey()) {
        case "type" -> {
          if (!v.isTextual()) {
            throw Problem.badRequest(
                "error.type", "error.type must be a string, but was " + JsonFields.kind(v));
          }
          type = StrictJson.cleanText("error.type", v.asText(), 200);
        }
        case "message" -> {
          if (!v.isNull() && !v.isTextual()) {
            throw Problem.badRequest(
                "error.message", "error.message must be a string, but was " + JsonFields.kind(v));
          }
          message = v.isNull() ? null : message("error.message", v.asText());
        }
        default ->
            throw Problem.badRequest(
                "error", "error takes only type and message, but had another field");
      }
    }
    return new StoredError(type, message);
  }

  /** A failure message: at most 4000 characters; line breaks and tabs are the only controls. */
  private static String message(String name, String text) {
    if (text.length() > StoredError.MAX_MESSAGE_LENGTH) {
      throw Problem.badRequest(
          name,
          name
              + " must be at most "
              + StoredError.MAX_MESSAGE_LENGTH
              + " characters, but was "
              + text.length());
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) && c != '\n' && c != '\r' && c != '\t') {
        throw Problem.badRequest(
            name,
            name
                + " must not contain control characters, but has U+"
                + String.format("%04X", (int) c)
                + " at index "
                + i);
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw Problem.badRequest(name, name + " has an unpaired surrogate at index " + i);
      }
    }
    return text;
  }
}
