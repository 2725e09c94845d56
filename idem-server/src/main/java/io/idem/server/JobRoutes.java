package io.idem.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.idem.job.ConflictPolicy;
import io.idem.job.EnqueueOutcome;
import io.idem.job.EnqueueResult;
import io.idem.job.Job;
import io.idem.job.JobPage;
import io.idem.job.JobQuery;
import io.idem.job.JobRequest;
import io.idem.job.JobState;
import io.idem.job.JobStateException;
import io.idem.job.Jobs;
import io.idem.job.MaintenanceResult;
import io.idem.job.ReusePolicy;
import io.idem.job.Unique;
import io.idem.job.UniqueConflictException;
import io.idem.spi.JobClaim;
import io.idem.spi.JobStore;
import io.idem.spi.NewJob;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs API, and the routes of remote workers (handlers written in any language):
 *
 * <ul>
 *   <li>{@code POST /v1/jobs}: enqueue; 201 {@code {job, outcome}} when stored, 409 problem+json
 *       with the existing {@code job} and the {@code pending} summary of its key when rejected, 200
 *       {@code {job, outcome}} when a waiting job was replaced or the duplicate ignored. Honours
 *       {@code Idempotency-Key}.
 *   <li>{@code POST /v1/jobs/batch}: {@code {jobs: [...]}}, up to {@value #MAX_BATCH}; 200 {@code
 *       {results: [{outcome, job, pending}]}} in order.
 *   <li>{@code GET /v1/jobs/{id}}, {@code GET
 *       /v1/jobs?state=&type=&queue=&uniqueKey=&limit=&after=} ({@code {jobs, next}}), {@code POST
 *       /v1/jobs/{id}/cancel}, {@code POST /v1/jobs/{id}/retry}, {@code GET /v1/jobs/stats}, {@code
 *       GET /v1/jobs/pending?uniqueKey=}.
 *   <li>Remote workers: {@code POST /v1/workers/claim} ({@code {queues, types?, workerId, lease?,
 *       limit?}}: {@code {jobs}}, each with its fencing {@code token}), then per job {@code POST
 *       /v1/jobs/{id}/heartbeat {token, lease?}}, {@code .../complete {token, result?}} or {@code
 *       .../fail {token, error, retryAt? | retryIn?}}; a token that no longer holds the job answers
 *       409 "lease lost" (nothing changed). A complete or fail sent again after it succeeded (a
 *       retry after a lost response) answers 200 with the job.
 * </ul>
 *
 * While the server runs, every tenant's job store is maintained every {@value
 * #DEFAULT_MAINTENANCE_SECONDS} s (the system property {@value #MAINTENANCE_INTERVAL_PROPERTY}, an
 * ISO-8601 duration, changes it): jobs of remote workers that died go back to QUEUED when their
 * lease passes, waiting jobs past their expiry become EXPIRED, due ones are promoted.
 */
final class JobRoutes implements Routes {

  private static final Logger log = LoggerFactory.getLogger(JobRoutes.class);

  /** The system property with the maintenance interval (ISO-8601 duration). */
  static final String MAINTENANCE_INTERVAL_PROPERTY = "idem.server.jobs.maintenance-interval";

  static final int DEFAULT_MAINTENANCE_SECONDS = 10;

  /** The most jobs of one batch: {@value}. */
  static final int MAX_BATCH = 1000;

  /** The most jobs of one claim: {@value}. */
  static final int MAX_CLAIM = 100;

  /** The most queues or types of one claim: {@value}. */
  static final int MAX_CLAIM_NAMES = 100;

  /** The most fields of a unique-by-args key: {@value}. */
  static final int MAX_UNIQUE_FIELDS = 50;

  /** The longest error text kept from a remote worker: {@value}; longer ones are cut. */
  static final int MAX_ERROR_CHARS = 4000;

  /** The most attempts a job may be given: {@value}. */
  static final int MAX_ATTEMPTS = 1000;

  static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
  static final Duration MIN_LEASE = Duration.ofSeconds(1);
  static final Duration MAX_LEASE = Duration.ofHours(1);

  private static final int NAME = NewJob.MAX_NAME_LENGTH;

  private static final Set<String> ENQUEUE_FIELDS =
      Set.of(
          "type",
          "args",
          "queue",
          "priority",
          "runAt",
          "delay",
          "maxAttempts",
          "expiresAt",
          "expiresIn",
          "timeout",
          "id",
          "deterministicId",
          "unique");
  private static final Set<String> UNIQUE_FIELDS =
      Set.of(
          "by",
          "fields",
          "key",
          "entity",
          "entityId",
          "period",
          "byQueue",
          "states",
          "reuse",
          "onConflict");
  private static final Set<String> LIST_PARAMS =
      Set.of("state", "type", "queue", "uniqueKey", "limit", "after");

  private enum UniqueBy {
    ARGS,
    KEY,
    ENTITY
  }

  private final Object lifecycle = new Object();
  private @Nullable ScheduledExecutorService maintenance;

  @Override
  public void register(Javalin app, ServerContext server) {
    app.post("/v1/jobs", ctx -> enqueue(ctx, server));
    app.post("/v1/jobs/batch", ctx -> enqueueBatch(ctx, server));
    app.get("/v1/jobs", ctx -> list(ctx, server));
    app.get("/v1/jobs/stats", ctx -> server.json(ctx, 200, server.tenant(ctx).jobs().stats()));
    app.get("/v1/jobs/pending", ctx -> pending(ctx, server));
    app.get("/v1/jobs/{id}", ctx -> server.json(ctx, 200, view(server, find(ctx, server))));
    app.post("/v1/jobs/{id}/cancel", ctx -> cancel(ctx, server));
    app.post("/v1/jobs/{id}/retry", ctx -> retry(ctx, server));
    app.post("/v1/workers/claim", ctx -> claim(ctx, server));
    app.post("/v1/jobs/{id}/heartbeat", ctx -> heartbeat(ctx, server));
    app.post("/v1/jobs/{id}/complete", ctx -> complete(ctx, server));
    app.post("/v1/jobs/{id}/fail", ctx -> fail(ctx, server));
    app.events(
        e -> {
          e.serverStarted(() -> startMaintenance(server));
          e.serverStopping(this::stopMaintenance);
        });
  }

  // ---- enqueue --------------------------------------------------------------------------------

  private void enqueue(Context ctx, ServerContext server) {
    TenantStores t = server.tenant(ctx);
    JobRequest request = request(JobJson.read(server, ctx), "", t.jobs());
    server.idempotent(
        ctx,
        false,
        () -> {
          EnqueueResult r = t.jobs().enqueue(request);
          count(server, t, r);
          if (r.outcome() == EnqueueOutcome.REJECTED) {
            throw rejected(server, r);
          }
          return new HttpReply(r.enqueued() ? 201 : 200, server.tree(result(server, r)));
        });
  }

  private void enqueueBatch(Context ctx, ServerContext server) {
    TenantStores t = server.tenant(ctx);
    JobJson body = JobJson.object(JobJson.read(server, ctx), "").allowOnly(Set.of("jobs"));
    JsonNode items = body.raw("jobs");
    if (items == null || !items.isArray()) {
      throw Problem.badRequest(
          "jobs", "jobs must be an array of job requests, but was " + JobJson.kind(items));
    }
    if (items.isEmpty() || items.size() > MAX_BATCH) {
      throw Problem.badRequest(
          "jobs", "jobs must hold 1 to " + MAX_BATCH + " job requests, but has " + items.size());
    }
    List<JobRequest> requests = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      requests.add(request(items.get(i), "jobs[" + i + "]", t.jobs()));
    }
    server.idempotent(
        ctx,
        false,
        () -> {
          List<EnqueueResult> results = t.jobs().enqueueAll(requests);
          List<Map<String, Object>> out = new ArrayList<>(results.size());
          for (EnqueueResult r : results) {
            count(server, t, r);
            out.add(result(server, r));
          }
          return new HttpReply(200, server.tree(Map.of("results", out)));
        });
  }

  private static void count(ServerContext server, TenantStores t, EnqueueResult r) {
    String key = r.job().uniqueKey() != null ? r.job().uniqueKey() : r.job().id();
    switch (r.outcome()) {
      case ENQUEUED -> server.metrics().execution(t.tenant(), "job");
      case REJECTED -> server.metrics().conflict(t.tenant(), "job", key);
      case IGNORED, REPLACED -> server.metrics().replay(t.tenant(), "job", key);
    }
  }

  private static Map<String, Object> result(ServerContext server, EnqueueResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("outcome", r.outcome());
    m.put("job", view(server, r.job()));
    if (r.pending() != null) {
      m.put("pending", r.pending());
    }
    return m;
  }

  private static Problem rejected(ServerContext server, EnqueueResult r) {
    Job j = r.job();
    Problem p =
        Problem.conflict(
                j.uniqueKey() != null
                    ? "job "
                        + j.id()
                        + " ("
                        + j.state()
                        + ") already holds unique key "
                        + j.uniqueKey()
                    : "a job with id " + j.id() + " already exists (" + j.state() + ")")
            .with("outcome", EnqueueOutcome.REJECTED)
            .with("job", view(server, j));
    if (r.pending() != null) {
      p.with("pending", r.pending());
    }
    return p;
  }

  /**
   * The job request of {@code node} (at {@code path}: "" for the body, {@code jobs[i]} in a batch),
   * checked completely: everything that the store would refuse is a 400 naming the member here.
   */
  static JobRequest request(JsonNode node, String path, Jobs jobs) {
    JobJson o = JobJson.object(node, path).allowOnly(ENQUEUE_FIELDS);
    String type = o.requiredText("type", NAME);
    JsonNode args = o.raw("args");
    JobJson.requireStorable(o.field("args"), args);
    JobRequest r = JobRequest.of(type, args);
    String queue = o.text("queue", NAME);
    if (queue != null) {
      r = r.queue(queue);
    }
    Integer priority = o.integer("priority", Integer.MIN_VALUE, Integer.MAX_VALUE);
    if (priority != null) {
      r = r.priority(priority);
    }
    exclusive(o, "runAt", "delay");
    Instant runAt = o.instant("runAt");
    if (runAt != null) {
      r = r.runAt(runAt);
    }
    Duration delay = o.duration("delay", Duration.ZERO, JobJson.MAX_DURATION);
    if (delay != null) {
      r = r.delay(delay);
    }
    Integer maxAttempts = o.integer("maxAttempts", 1, MAX_ATTEMPTS);
    if (maxAttempts != null) {
      r = r.maxAttempts(maxAttempts);
    }
    exclusive(o, "expiresAt", "expiresIn");
    Instant expiresAt = o.instant("expiresAt");
    if (expiresAt != null) {
      r = r.expiresAt(expiresAt);
    }
    Duration expiresIn = o.duration("expiresIn", Duration.ofMillis(1), JobJson.MAX_DURATION);
    if (expiresIn != null) {
      r = r.expiresIn(expiresIn);
    }
    Duration timeout = o.duration("timeout", Duration.ofMillis(1), JobJson.MAX_DURATION);
    if (timeout != null) {
      r = r.timeout(timeout);
    }
    if (o.has("unique")) {
      r = r.unique(unique(JobJson.object(o.raw("unique"), o.field("unique"))));
    }
    exclusive(o, "id", "deterministicId");
    String id = o.text("id", NAME);
    if (id != null) {
      r = r.id(id);
    }
    if (Boolean.TRUE.equals(o.bool("deterministicId"))) {
      if (r.unique() == null) {
        throw Problem.badRequest(
            o.field("deterministicId"), "a deterministic id needs a unique key: add 'unique'");
      }
      r = r.deterministicId();
    }
    // what the store checks (the length of the unique key, ...), checked now
    try {
      jobs.uniqueKeyOf(r);
    } catch (IllegalArgumentException e) {
      String m = String.valueOf(e.getMessage());
      if (m.startsWith("uniqueKey")) {
        throw Problem.badRequest(o.field("unique"), "the unique key would be too long: " + m);
      }
      String member = m.startsWith("args") ? "args" : m.startsWith("id ") ? "id" : null;
      throw Problem.badRequest(
          member != null ? o.field(member) : path.isEmpty() ? "body" : path, m);
    }
    return r;
  }

  private static Unique unique(JobJson u) {
    u.allowOnly(UNIQUE_FIELDS);
    if (!u.has("by")) {
      throw u.missing("by", "one of args, key, entity");
    }
    UniqueBy by = u.enumValue("by", UniqueBy.class);
    Unique q;
    switch (by) {
      case ARGS -> {
        refuse(u, by, "key", "entity", "entityId");
        List<String> fields = u.texts("fields", MAX_UNIQUE_FIELDS, NAME);
        q = fields == null || fields.isEmpty() ? Unique.byArgs() : byArgs(u, fields);
      }
      case KEY -> {
        refuse(u, by, "fields", "entity", "entityId");
        String key = u.text("key", 200);
        if (key == null) {
          throw u.missing("key", "the key of a unique-by-key job, 1 to 200 characters");
        }
        q = Unique.byKey(key);
      }
      case ENTITY -> {
        refuse(u, by, "fields", "key");
        String entity = u.text("entity", 100);
        if (entity == null) {
          throw u.missing("entity", "the entity's kind, such as \"user\", 1 to 100 characters");
        }
        JsonNode idNode = u.raw("entityId");
        if (idNode == null) {
          throw u.missing("entityId", "the entity's id, a string or an integer");
        }
        String entityId;
        if (idNode.isTextual()) {
          entityId = idNode.textValue();
        } else if (idNode.isIntegralNumber()) {
          entityId = idNode.bigIntegerValue().toString();
        } else {
          throw Problem.badRequest(
              u.field("entityId"),
              u.field("entityId")
                  + " must be a string or an integer, but was "
                  + JobJson.kind(idNode));
        }
        StrictJson.cleanText(u.field("entityId"), entityId, 150);
        q = Unique.byEntity(entity, entityId);
      }
      default -> throw new IllegalStateException("unknown " + by);
    }
    Duration period = u.duration("period", Duration.ofSeconds(1), JobJson.MAX_DURATION);
    if (period != null) {
      q = q.perPeriod(period);
    }
    if (Boolean.TRUE.equals(u.bool("byQueue"))) {
      q = q.byQueue();
    }
    List<String> states = u.texts("states", JobState.values().length, 20);
    if (states != null) {
      List<JobState> s = new ArrayList<>();
      for (int i = 0; i < states.size(); i++) {
        s.add(JobJson.parseEnum(u.field("states") + "[" + i + "]", states.get(i), JobState.class));
      }
      q = q.states(s.toArray(JobState[]::new));
    }
    ReusePolicy reuse = u.enumValue("reuse", ReusePolicy.class);
    if (reuse != null) {
      q = q.reuse(reuse);
    }
    ConflictPolicy onConflict = u.enumValue("onConflict", ConflictPolicy.class);
    if (onConflict != null) {
      q = q.onConflict(onConflict);
    }
    return q;
  }

  private static Unique byArgs(JobJson u, List<String> fields) {
    try {
      return Unique.byArgs(fields.toArray(String[]::new));
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest(u.field("fields"), String.valueOf(e.getMessage()));
    }
  }

  private static void refuse(JobJson u, UniqueBy by, String... members) {
    for (String m : members) {
      if (u.has(m)) {
        throw Problem.badRequest(
            u.field(m),
            u.field(m)
                + " does not go with by \""
                + by.name().toLowerCase(java.util.Locale.ROOT)
                + "\"");
      }
    }
  }

  private static void exclusive(JobJson o, String a, String b) {
    if (o.has(a) && o.has(b)) {
      throw Problem.badRequest(o.field(b), "give " + a + " or " + b + ", not both");
    }
  }

  // ---- reading and changing jobs --------------------------------------------------------------

  private void list(Context ctx, ServerContext server) {
    Map<String, List<String>> params = ctx.queryParamMap();
    for (String name : params.keySet()) {
      if (!LIST_PARAMS.contains(name)) {
        throw Problem.badRequest(
            name,
            "unknown query parameter '"
                + io.idem.internal.Texts.printable(name)
                + "'; known: after, limit, queue, state, type, uniqueKey");
      }
    }
    EnumSet<JobState> states = EnumSet.noneOf(JobState.class);
    for (String v : params.getOrDefault("state", List.of())) {
      for (String s : v.split(",", -1)) {
        if (!s.isBlank()) {
          states.add(JobJson.parseEnum("state", s, JobState.class));
        }
      }
    }
    int limit = JobQuery.DEFAULT_LIMIT;
    String l = single(params, "limit");
    if (l != null) {
      try {
        limit = Integer.parseInt(l.trim());
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > JobQuery.MAX_LIMIT) {
        throw Problem.badRequest(
            "limit",
            "limit must be an integer from 1 to "
                + JobQuery.MAX_LIMIT
                + ", but was '"
                + io.idem.internal.Texts.printable(l)
                + "'");
      }
    }
    String after = single(params, "after");
    if (after != null) {
      try {
        JobQuery.Cursor.parse(after);
      } catch (IllegalArgumentException e) {
        throw Problem.badRequest("after", String.valueOf(e.getMessage()));
      }
    }
    JobQuery q =
        new JobQuery(
            states,
            single(params, "type"),
            single(params, "queue"),
            single(params, "uniqueKey"),
            limit,
            after);
    JobPage page = server.tenant(ctx).jobs().list(q);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("jobs", JobView.of(page.jobs(), server.mapper()));
    body.put("next", page.next());
    server.json(ctx, 200, body);
  }

  /** A query parameter given at most once; blank counts as absent. */
  private static @Nullable String single(Map<String, List<String>> params, String name) {
    List<String> values = params.getOrDefault(name, List.of());
    if (values.size() > 1) {
      throw Problem.badRequest(name, name + " may be given once, but was given " + values.size());
    }
    if (values.isEmpty() || values.get(0).isBlank()) {
      return null;
    }
    // a cursor is "millis:id"
    return StrictJson.cleanText(name, values.get(0), name.equals("after") ? NAME + 32 : NAME);
  }

  private void pending(Context ctx, ServerContext server) {
    for (String name : ctx.queryParamMap().keySet()) {
      if (!name.equals("uniqueKey")) {
        throw Problem.badRequest(
            name,
            "unknown query parameter '"
                + io.idem.internal.Texts.printable(name)
                + "'; known: uniqueKey");
      }
    }
    String key = single(ctx.queryParamMap(), "uniqueKey");
    if (key == null) {
      throw Problem.badRequest("uniqueKey", "the query parameter uniqueKey is required");
    }
    server.json(ctx, 200, server.tenant(ctx).jobStore().pending(key));
  }

  private void cancel(Context ctx, ServerContext server) {
    String id = id(ctx);
    Job j = server.tenant(ctx).jobs().cancel(id).orElseThrow(() -> noJob(id));
    if (j.state() != JobState.CANCELLED) {
      throw Problem.conflict("job " + id + " is " + j.state() + ": it cannot be cancelled")
          .with("state", j.state())
          .with("job", view(server, j));
    }
    server.json(ctx, 200, view(server, j));
  }

  private void retry(Context ctx, ServerContext server) {
    String id = id(ctx);
    Optional<Job> j;
    try {
      j = server.tenant(ctx).jobs().retry(id);
    } catch (JobStateException e) {
      throw Problem.conflict(String.valueOf(e.getMessage()))
          .with("state", e.job().state())
          .with("job", view(server, e.job()));
    } catch (UniqueConflictException e) {
      throw Problem.conflict(String.valueOf(e.getMessage()))
          .with("holder", view(server, e.existing()));
    }
    server.json(ctx, 200, view(server, j.orElseThrow(() -> noJob(id))));
  }

  private static Job find(Context ctx, ServerContext server) {
    String id = id(ctx);
    return server.tenant(ctx).jobs().get(id).orElseThrow(() -> noJob(id));
  }

  private static String id(Context ctx) {
    return StrictJson.cleanText("id", ctx.pathParam("id"), NAME);
  }

  private static Problem noJob(String id) {
    return Problem.notFound("no job " + id);
  }

  static JobView view(ServerContext server, Job job) {
    return JobView.of(job, server.mapper());
  }

  // ---- remote workers -------------------------------------------------------------------------

  private void claim(Context ctx, ServerContext server) {
    JobJson o =
        JobJson.object(JobJson.read(server, ctx), "")
            .allowOnly(Set.of("queues", "types", "workerId", "lease", "limit"));
    List<String> queues = o.texts("queues", MAX_CLAIM_NAMES, NAME);
    if (queues == null || queues.isEmpty()) {
      throw o.missing("queues", "an array of 1 to " + MAX_CLAIM_NAMES + " queue names");
    }
    List<String> types = o.texts("types", MAX_CLAIM_NAMES, NAME);
    String workerId = o.requiredText("workerId", NAME);
    Duration lease = o.duration("lease", MIN_LEASE, MAX_LEASE);
    Integer limit = o.integer("limit", 1, MAX_CLAIM);
    JobClaim claim =
        new JobClaim(
            queues,
            types == null ? Set.of() : Set.copyOf(types),
            workerId,
            lease == null ? DEFAULT_LEASE : lease,
            limit == null ? 1 : limit);
    List<Job> jobs = server.tenant(ctx).jobStore().claim(claim);
    server.json(ctx, 200, Map.of("jobs", JobView.of(jobs, server.mapper())));
  }

  private void heartbeat(Context ctx, ServerContext server) {
    String id = id(ctx);
    JobJson o = JobJson.object(JobJson.read(server, ctx), "").allowOnly(Set.of("token", "lease"));
    long token = token(o);
    Duration lease = o.duration("lease", MIN_LEASE, MAX_LEASE);
    JobStore store = server.tenant(ctx).jobStore();
    if (!store.heartbeat(id, token, lease == null ? DEFAULT_LEASE : lease)) {
      throw leaseLost(server, store, id, token);
    }
    Optional<Job> j = store.get(id);
    server.json(
        ctx,
        200,
        j.<Object>map(job -> view(server, job)).orElseGet(() -> Map.of("id", id, "token", token)));
  }

  private void complete(Context ctx, ServerContext server) {
    String id = id(ctx);
    JobJson o = JobJson.object(JobJson.read(server, ctx), "").allowOnly(Set.of("token", "result"));
    long token = token(o);
    JsonNode result = o.raw("result");
    JobJson.requireStorable("result", result);
    String resultJson;
    try {
      resultJson = result == null ? null : server.mapper().writeValueAsString(result);
    } catch (JsonProcessingException e) {
      throw Problem.badRequest("result", "result cannot be written as JSON: " + e.getMessage());
    }
    JobStore store = server.tenant(ctx).jobStore();
    Optional<Job> done = store.complete(id, token, resultJson);
    if (done.isEmpty()) {
      // the same complete sent again (its first answer was lost): the job is as it left it
      Optional<Job> now = store.get(id);
      if (now.isPresent()
          && now.get().token() == token
          && now.get().state() == JobState.SUCCEEDED) {
        done = now;
      } else {
        throw leaseLost(server, store, id, token);
      }
    }
    server.json(ctx, 200, view(server, done.get()));
  }

  private void fail(Context ctx, ServerContext server) {
    String id = id(ctx);
    JobJson o =
        JobJson.object(JobJson.read(server, ctx), "")
            .allowOnly(Set.of("token", "error", "retryAt", "retryIn"));
    long token = token(o);
    String error = o.freeText("error");
    if (error == null) {
      throw o.missing("error", "a string describing the failure");
    }
    if (error.length() > MAX_ERROR_CHARS) {
      error = error.substring(0, MAX_ERROR_CHARS) + "...";
    }
    exclusive(o, "retryAt", "retryIn");
    Instant retryAt = o.instant("retryAt");
    Duration retryIn = o.duration("retryIn", Duration.ZERO, JobJson.MAX_DURATION);
    if (retryIn != null) {
      retryAt = server.clock().instant().plus(retryIn);
    }
    JobStore store = server.tenant(ctx).jobStore();
    Optional<Job> done = store.fail(id, token, error, retryAt);
    if (done.isEmpty()) {
      // the same fail sent again (its first answer was lost): the job is as it left it
      Optional<Job> now = store.get(id);
      if (now.isPresent()
          && now.get().token() == token
          && (now.get().state() == JobState.FAILED || now.get().state() == JobState.DEAD)
          && error.equals(now.get().lastError())) {
        done = now;
      } else {
        throw leaseLost(server, store, id, token);
      }
    }
    server.json(ctx, 200, view(server, done.get()));
  }

  private static long token(JobJson o) {
    Long token = o.longInteger("token", 0);
    if (token == null) {
      throw o.missing("token", "the token the job was claimed with");
    }
    return token;
  }

  /** 404 when there is no job {@code id}; else 409 "lease lost" with the job's state. */
  private static Problem leaseLost(ServerContext server, JobStore store, String id, long token) {
    Job j = store.get(id).orElseThrow(() -> noJob(id));
    return new Problem(
            409,
            "Lease lost",
            "token "
                + token
                + " no longer holds job "
                + id
                + ": it is "
                + j.state()
                + (j.state() == JobState.RUNNING ? " with token " + j.token() : "")
                + "; nothing changed",
            "token")
        .with("state", j.state())
        .with("job", view(server, j));
  }

  // ---- maintenance ----------------------------------------------------------------------------

  private void startMaintenance(ServerContext server) {
    Duration every = maintenanceInterval();
    synchronized (lifecycle) {
      if (maintenance != null) {
        return;
      }
      ScheduledExecutorService s =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "idem-job-maintenance");
                t.setDaemon(true);
                return t;
              });
      s.scheduleWithFixedDelay(
          () -> maintainAll(server), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
      maintenance = s;
    }
  }

  private void stopMaintenance() {
    ScheduledExecutorService s;
    synchronized (lifecycle) {
      s = maintenance;
      maintenance = null;
    }
    if (s == null) {
      return;
    }
    s.shutdown();
    try {
      if (!s.awaitTermination(10, TimeUnit.SECONDS)) {
        s.shutdownNow();
      }
    } catch (InterruptedException e) {
      s.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** One maintenance pass over every opened tenant's job store; a failing store is logged. */
  static MaintenanceResult maintainAll(ServerContext server) {
    MaintenanceResult total = MaintenanceResult.NONE;
    for (TenantStores t : server.openedTenants().values()) {
      try {
        MaintenanceResult r = t.jobStore().maintain();
        if (!r.equals(MaintenanceResult.NONE)) {
          log.info("job maintenance of tenant {}: {}", t.tenant(), r);
        }
        total = total.plus(r);
      } catch (RuntimeException e) {
        log.warn("job maintenance of tenant {} failed: {}", t.tenant(), e.toString());
      }
    }
    return total;
  }

  static Duration maintenanceInterval() {
    String p = System.getProperty(MAINTENANCE_INTERVAL_PROPERTY);
    if (p == null || p.isBlank()) {
      return Duration.ofSeconds(DEFAULT_MAINTENANCE_SECONDS);
    }
    try {
      Duration d = Duration.parse(p.trim());
      if (d.toMillis() >= 10) {
        return d;
      }
    } catch (RuntimeException e) {
      // the default below
    }
    log.warn(
        "{} must be an ISO-8601 duration of at least 10 ms, but was '{}'; using {} s",
        MAINTENANCE_INTERVAL_PROPERTY,
        p,
        DEFAULT_MAINTENANCE_SECONDS);
    return Duration.ofSeconds(DEFAULT_MAINTENANCE_SECONDS);
  }
}
