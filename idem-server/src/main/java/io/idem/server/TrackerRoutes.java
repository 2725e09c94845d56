package io.idem.server;

import io.idem.Scope;
import io.idem.internal.Texts;
import io.idem.tracker.DeduplicationTracker;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Deduplication trackers over HTTP: sets of processed ids per scope and tracker.
 *
 * <ul>
 *   <li>{@code GET /v1/trackers/{scope}/{tracker}}: {@code {scope, tracker, ids:[...] (sorted),
 *       lastModified}} ({@code lastModified} null for a tracker never changed or just cleared);
 *   <li>{@code GET /v1/trackers/{scope}/{tracker}/{id}}: {@code {processed: true|false}};
 *   <li>{@code PUT .../{id}}: marks the id ({@code changed}: whether it was not marked);
 *   <li>{@code DELETE .../{id}}: unmarks it ({@code changed}: whether it was marked);
 *   <li>{@code DELETE /v1/trackers/{scope}/{tracker}}: clears the tracker ({@code cleared}: how
 *       many ids it had).
 * </ul>
 *
 * A scope is {@code global}, {@code user:42}, {@code tenant:acme}, {@code session:abc} or any
 * {@code kind:id} (kind: lower-case letters, digits, '_' and '-'; {@code kind=id} works too); a
 * tracker is 1 to 100 letters, digits, '_', '.' or '-'; an id at most 512 characters without
 * control characters (it may contain '/'). The same tracker is reached from Java with {@code
 * trackers.tracker(tracker, scope)} on the tenant's stores. No body is read.
 */
final class TrackerRoutes implements Routes {

  private static final String BASE = "/v1/trackers/{scope}/{tracker}";

  @Override
  public void register(Javalin app, ServerContext server) {
    app.get(BASE, ctx -> list(server, ctx));
    app.delete(BASE, ctx -> clear(server, ctx));
    app.get(BASE + "/<id>", ctx -> contains(server, ctx));
    app.put(BASE + "/<id>", ctx -> mark(server, ctx, true));
    app.delete(BASE + "/<id>", ctx -> mark(server, ctx, false));
  }

  private static void list(ServerContext server, Context ctx) {
    DeduplicationTracker t = tracker(server, ctx);
    Map<String, Object> body = head(ctx);
    body.put("ids", new TreeSet<>(t.allProcessed()));
    body.put("lastModified", t.lastModified().orElse(null));
    server.json(ctx, 200, body);
  }

  private static void clear(ServerContext server, Context ctx) {
    DeduplicationTracker t = tracker(server, ctx);
    Map<String, Object> body = head(ctx);
    body.put("cleared", t.clearAll());
    server.json(ctx, 200, body);
  }

  private static void contains(ServerContext server, Context ctx) {
    DeduplicationTracker t = tracker(server, ctx);
    String id = id(ctx);
    Map<String, Object> body = head(ctx);
    body.put("id", id);
    body.put("processed", t.isProcessed(id));
    server.json(ctx, 200, body);
  }

  private static void mark(ServerContext server, Context ctx, boolean processed) {
    DeduplicationTracker t = tracker(server, ctx);
    String id = id(ctx);
    boolean changed = processed ? t.markProcessed(id) : t.unmarkProcessed(id);
    Map<String, Object> body = head(ctx);
    body.put("id", id);
    body.put("processed", processed);
    body.put("changed", changed);
    server.json(ctx, 200, body);
  }

  private static Map<String, Object> head(Context ctx) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("scope", ctx.pathParam("scope"));
    m.put("tracker", ctx.pathParam("tracker"));
    return m;
  }

  private static DeduplicationTracker tracker(ServerContext server, Context ctx) {
    Scope scope = scope(ctx.pathParam("scope"));
    String tracker = ctx.pathParam("tracker");
    try {
      return server.tenant(ctx).trackers().tracker(tracker, scope);
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest("tracker", String.valueOf(e.getMessage()));
    }
  }

  private static String id(Context ctx) {
    return StrictJson.cleanText("id", ctx.pathParam("id"), DeduplicationTracker.MAX_ID_LENGTH);
  }

  /** {@code global}, or {@code kind:id} / {@code kind=id}. */
  static Scope scope(String text) {
    if (text.equals("global")) {
      return Scope.global();
    }
    int sep = -1;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == ':' || c == '=') {
        sep = i;
        break;
      }
    }
    if (sep <= 0 || sep == text.length() - 1) {
      throw Problem.badRequest(
          "scope",
          "scope must be global or kind:id (user:42, tenant:acme, session:abc), but was \""
              + Texts.printable(text)
              + "\"");
    }
    try {
      return Scope.of(text.substring(0, sep), text.substring(sep + 1));
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest("scope", "bad scope: " + e.getMessage());
    }
  }
}
