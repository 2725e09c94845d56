package io.idem.server;

import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Leased locks with fencing tokens over HTTP.
 *
 * <ul>
 *   <li>{@code POST /v1/locks/{name}/acquire {owner, lease, wait? (at most PT30S)}}: 200 {@code
 *       {name, owner, token, acquiredAt, leaseUntil}}; 409 problem with the {@code holder} {@code
 *       {owner, token, leaseUntil}} when still held after {@code wait}. <b>Requires an {@code
 *       Idempotency-Key} header</b> (400 without): an acquire whose answer was lost is retried with
 *       the same key and gets the same token back, instead of a 409 from its own holding. A 409 is
 *       not stored: the same key may try again.
 *   <li>{@code POST /v1/locks/{name}/extend {token, lease}}: 200 with the new {@code leaseUntil},
 *       or 409 "not the holder"; {@code Idempotency-Key} optional.
 *   <li>{@code POST /v1/locks/{name}/release {token, keepFor?}}: 200, or 409 "not the holder";
 *       {@code keepFor} keeps the lock held for that long (a lock-at-least time); {@code
 *       Idempotency-Key} optional.
 *   <li>{@code GET /v1/locks/{name}}: the holder, or 404 when free.
 *   <li>{@code GET /v1/locks}: {@code {locks:[...]}}, the locks held now among those acquired
 *       through this server ({@link LockRegistry}).
 * </ul>
 *
 * Names are 1 to {@value #MAX_NAME_LENGTH} characters without control characters; owners at most
 * 200. Each acquisition's wait is recorded in {@code idem_lock_wait}.
 */
final class LockRoutes implements Routes {

  static final int MAX_NAME_LENGTH = 255;
  static final int MAX_OWNER_LENGTH = 200;
  static final Duration MAX_WAIT = Duration.ofSeconds(30);
  static final Duration MAX_KEEP = Duration.ofDays(1);

  private static final Set<String> ACQUIRE = Set.of("owner", "lease", "wait");
  private static final Set<String> EXTEND = Set.of("token", "lease");
  private static final Set<String> RELEASE = Set.of("token", "keepFor");

  @Override
  public void register(Javalin app, ServerContext server) {
    app.get("/v1/locks", ctx -> list(server, ctx));
    app.get("/v1/locks/{name}", ctx -> get(server, ctx));
    app.post("/v1/locks/{name}/acquire", ctx -> acquire(server, ctx));
    app.post("/v1/locks/{name}/extend", ctx -> extend(server, ctx));
    app.post("/v1/locks/{name}/release", ctx -> release(server, ctx));
  }

  private static void acquire(ServerContext server, Context ctx) {
    String name = name(ctx);
    JsonFields f = JsonFields.read(server, ctx, ACQUIRE);
    String owner = f.text("owner", MAX_OWNER_LENGTH);
    Duration lease = f.duration("lease", null, RecordRoutes.MIN_TIME, RecordRoutes.MAX_LEASE);
    Duration wait = f.duration("wait", Duration.ZERO, Duration.ZERO, MAX_WAIT);
    TenantStores t = server.tenant(ctx);
    server.idempotent(
        ctx,
        true,
        () -> {
          long start = server.ticker().nanos();
          LockAttempt a;
          try {
            a = t.locks().tryAcquire(name, owner, lease, wait);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Problem(503, "Unavailable", "the server is stopping", null);
          }
          if (!a.acquired()) {
            LockLease h = a.lease();
            Map<String, Object> holder = new LinkedHashMap<>();
            holder.put("owner", h.owner());
            holder.put("token", h.token());
            holder.put("leaseUntil", h.leaseUntil());
            throw Problem.conflict("lock " + name + " is held by " + h.owner())
                .with("name", name)
                .with("holder", holder);
          }
          t.lockRegistry().acquired(name);
          server.metrics().lockWait(t.tenant(), Duration.ofNanos(server.ticker().nanos() - start));
          return new HttpReply(200, server.tree(lease(a.lease(), server.clock().instant())));
        });
  }

  private static void extend(ServerContext server, Context ctx) {
    String name = name(ctx);
    JsonFields f = JsonFields.read(server, ctx, EXTEND);
    long token = f.integer("token", 0, Long.MAX_VALUE);
    Duration lease = f.duration("lease", null, RecordRoutes.MIN_TIME, RecordRoutes.MAX_LEASE);
    TenantStores t = server.tenant(ctx);
    server.idempotent(
        ctx,
        false,
        () -> {
          if (!t.lockStore().extend(name, token, lease)) {
            throw notHolder(name, token);
          }
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("name", name);
          body.put("token", token);
          t.lockStore()
              .holder(name)
              .filter(h -> h.token() == token)
              .ifPresent(h -> body.put("leaseUntil", h.leaseUntil()));
          return new HttpReply(200, server.tree(body));
        });
  }

  private static void release(ServerContext server, Context ctx) {
    String name = name(ctx);
    JsonFields f = JsonFields.read(server, ctx, RELEASE);
    long token = f.integer("token", 0, Long.MAX_VALUE);
    Duration keepFor = f.duration("keepFor", Duration.ZERO, Duration.ZERO, MAX_KEEP);
    TenantStores t = server.tenant(ctx);
    server.idempotent(
        ctx,
        false,
        () -> {
          if (!t.lockStore().release(name, token, keepFor)) {
            throw notHolder(name, token);
          }
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("name", name);
          body.put("token", token);
          body.put("released", true);
          body.put("keepFor", keepFor.toString());
          return new HttpReply(200, server.tree(body));
        });
  }

  private static void get(ServerContext server, Context ctx) {
    String name = name(ctx);
    Optional<LockLease> h = server.tenant(ctx).lockStore().holder(name);
    if (h.isEmpty()) {
      throw Problem.notFound("lock " + name + " is not held");
    }
    server.json(ctx, 200, lease(h.get(), server.clock().instant()));
  }

  private static void list(ServerContext server, Context ctx) {
    List<Map<String, Object>> locks =
        server.tenant(ctx).lockRegistry().held().stream().map(LockRoutes::render).toList();
    server.json(ctx, 200, Map.of("locks", locks));
  }

  private static Map<String, Object> lease(LockLease l, Instant now) {
    return render(LockRegistry.heldLock(l, now));
  }

  /** A held lock as the API shows it. */
  static Map<String, Object> render(LockRegistry.HeldLock l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", l.name());
    m.put("owner", l.owner());
    m.put("token", l.token());
    m.put("acquiredAt", l.acquiredAt());
    m.put("leaseUntil", l.leaseUntil());
    m.put("leaseLeft", l.leaseLeft().toString());
    m.put("leaseLeftMillis", l.leaseLeft().toMillis());
    return m;
  }

  private static String name(Context ctx) {
    return StrictJson.cleanText("name", ctx.pathParam("name"), MAX_NAME_LENGTH);
  }

  private static Problem notHolder(String name, long token) {
    return Problem.conflict("not the holder: token " + token + " does not hold lock " + name)
        .with("name", name)
        .with("token", token);
  }
}
