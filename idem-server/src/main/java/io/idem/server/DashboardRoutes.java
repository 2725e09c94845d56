package io.idem.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.idem.job.Job;
import io.idem.job.JobQuery;
import io.idem.job.JobState;
import io.idem.job.JobStats;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dashboard: a page at {@code /} (static HTML, JS and CSS from {@code
 * io/idem/server/dashboard/}, no build step, nothing from the network) that refreshes itself every
 * 2 s from {@code GET /v1/dashboard}, the caller's tenant at a glance:
 *
 * <pre>{@code
 * {"tenant", "store", "now",
 *  "stats": {"byState": {"QUEUED": 1, ...every state}, "total",
 *            "duplicatesPrevented": [{"key", "count"}, ...the top keys],
 *            "duplicatesPreventedTotal", "byType": {"email.send": {"QUEUED": 1}}},
 *  "counters": {"executions", "replays", "conflicts", "mismatches"},
 *  "jobs": [...the newest 50: each a JobView (as GET /v1/jobs/{id}) + "duplicatesPrevented"],
 *  "selected": the job of ?job=<id>, or null,
 *  "events": [{"at", "kind", "what", "key"}, ...the newest 50 replays, conflicts and mismatches]}
 * }</pre>
 *
 * The page itself needs no API key; its data does. With keys configured, the page asks for one
 * once, keeps it in the browser's localStorage and sends it as {@code Authorization: Bearer}; a
 * link may carry it as {@code /#key=...} (taken into localStorage and removed from the address),
 * and {@code #job=<id>} selects a job. The locks section reads {@code GET /v1/locks} ({@link
 * LockRoutes}); a server without it shows the section empty.
 */
final class DashboardRoutes implements Routes {

  /** Where the page's files are on the classpath. */
  static final String RESOURCES = "io/idem/server/dashboard/";

  /** How many jobs and events the summary lists: 50. */
  static final int RECENT = 50;

  /** The longest job id {@code ?job=} takes. */
  static final int MAX_JOB_ID = 200;

  private static final Map<String, String> FILES =
      Map.of(
          "dashboard.js", "text/javascript; charset=utf-8",
          "dashboard.css", "text/css; charset=utf-8");

  @Override
  public void register(Javalin app, ServerContext server) {
    byte[] index = resource("index.html");
    Map<String, byte[]> files = new LinkedHashMap<>();
    FILES.keySet().forEach(f -> files.put(f, resource(f)));
    app.get("/", ctx -> page(ctx, index, "text/html; charset=utf-8"));
    app.get("/dashboard", ctx -> ctx.redirect("/"));
    app.get(
        "/dashboard/{file}",
        ctx -> {
          String f = ctx.pathParam("file");
          byte[] body = files.get(f);
          if (body == null) {
            throw Problem.notFound("no dashboard file " + f);
          }
          page(ctx, body, FILES.get(f));
        });
    app.get("/v1/dashboard", ctx -> server.json(ctx, 200, summary(ctx, server)));
  }

  private static void page(Context ctx, byte[] body, String type) {
    ctx.contentType(type);
    ctx.header("Cache-Control", "no-cache");
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'");
    ctx.result(body);
  }

  private static Map<String, Object> summary(Context ctx, ServerContext server) {
    TenantStores t = server.tenant(ctx);
    JobStats stats = t.jobStore().stats();
    List<Job> jobs = t.jobs().list(JobQuery.all().withLimit(RECENT)).jobs();

    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tenant", t.tenant());
    m.put("store", server.config().store());
    m.put("now", server.clock().instant());
    m.put("stats", stats(stats));
    m.put("counters", counters(server.metrics().registry(), t.tenant()));
    List<ObjectNode> views = new ArrayList<>();
    jobs.forEach(j -> views.add(job(server, j, stats)));
    m.put("jobs", views);
    String selected = ctx.queryParam("job");
    ObjectNode sel = null;
    if (selected != null && !selected.isBlank()) {
      if (selected.length() > MAX_JOB_ID) {
        throw Problem.badRequest(
            "job",
            "job must be at most " + MAX_JOB_ID + " characters, but has " + selected.length());
      }
      sel = t.jobs().get(selected).map(j -> job(server, j, stats)).orElse(null);
    }
    m.put("selected", sel);
    List<Map<String, Object>> events = new ArrayList<>();
    for (ServerMetrics.Event e : server.metrics().recent(t.tenant())) {
      if (events.size() == RECENT) {
        break;
      }
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("at", e.at());
      v.put("kind", e.kind());
      v.put("what", e.what());
      v.put("key", e.key());
      events.add(v);
    }
    m.put("events", events);
    return m;
  }

  private static Map<String, Object> stats(JobStats s) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Long> byState = new LinkedHashMap<>();
    long total = 0;
    for (JobState state : JobState.values()) {
      byState.put(state.name(), s.count(state));
      total += s.count(state);
    }
    m.put("byState", byState);
    m.put("total", total);
    List<Map<String, Object>> top = new ArrayList<>();
    s.duplicatesPrevented()
        .forEach(
            (key, count) -> {
              Map<String, Object> k = new LinkedHashMap<>();
              k.put("key", key);
              k.put("count", count);
              top.add(k);
            });
    m.put("duplicatesPrevented", top);
    m.put("duplicatesPreventedTotal", s.duplicatesPreventedTotal());
    Map<String, Map<String, Long>> byType = new java.util.TreeMap<>();
    s.byType()
        .forEach(
            (type, counts) -> {
              Map<String, Long> c = new LinkedHashMap<>();
              for (JobState state : JobState.values()) {
                Long n = counts.get(state);
                if (n != null && n != 0) {
                  c.put(state.name(), n);
                }
              }
              byType.put(type, c);
            });
    m.put("byType", byType);
    return m;
  }

  private static Map<String, Object> counters(PrometheusMeterRegistry registry, String tenant) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("executions", sum(registry, "idem_executions", tenant));
    m.put("replays", sum(registry, "idem_replays", tenant));
    m.put("conflicts", sum(registry, "idem_conflicts", tenant));
    m.put("mismatches", sum(registry, "idem_mismatches", tenant));
    return m;
  }

  private static long sum(PrometheusMeterRegistry registry, String name, String tenant) {
    double total = 0;
    for (Counter c : registry.find(name).tag("tenant", tenant).counters()) {
      total += c.count();
    }
    return Math.round(total);
  }

  /**
   * A job as the page shows it: its {@link JobView} (the fields of {@code GET /v1/jobs/{id}}) and
   * {@code duplicatesPrevented}, the enqueues its unique key (or, without one, its id) turned away.
   */
  private static ObjectNode job(ServerContext server, Job j, JobStats stats) {
    ObjectNode n = server.mapper().valueToTree(JobView.of(j, server.mapper()));
    Long dups = stats.duplicatesPrevented().get(j.uniqueKey() != null ? j.uniqueKey() : j.id());
    n.put("duplicatesPrevented", dups == null ? 0 : dups);
    return n;
  }

  private static byte[] resource(String name) {
    try (InputStream in =
        DashboardRoutes.class.getClassLoader().getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException("dashboard resource " + RESOURCES + name + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
