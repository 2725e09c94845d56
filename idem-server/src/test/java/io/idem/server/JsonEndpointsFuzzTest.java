package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.idem.spi.IdempotencyStore;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed and hostile bodies sent to every JSON endpoint (records, locks, and jobs when the jobs
 * routes are there): truncated JSON, wrong types, huge numbers, 10,000 levels of nesting, 2 MB
 * strings, invalid UTF-8, nulls, arrays instead of objects, unknown and long fields, control
 * characters. Each is answered 400 (413 for a body over the limit) as problem+json, the server
 * stays up, and nothing is written: every row of the tenant's store (read from its SQLite file, not
 * through the server) is as it was, no Idempotency-Key sent has a stored reply, no job of the
 * types, queues and unique keys sent exists, and the records, locks and jobs the valid bodies would
 * change are as they were. The control at the end sends the valid bodies, which do write: the same
 * checks then see it.
 *
 * <p>Each endpoint has a valid body that would change something (claim a fresh key, complete the
 * held record, release the held lock, enqueue a job, ...); every case breaks that body in one way
 * (every field with every bad value of its kind, every structural break), then a seeded random
 * phase breaks several things at once. Set {@code -Didem.fuzz.seed=<n>} to replay a random phase.
 */
class JsonEndpointsFuzzTest {

  static final String KEY = "key-a-0123456789abcdef";
  static final String TENANT = "acme";

  @TempDir static Path dir;
  static IdemServer server;
  static TenantApi api;

  /** What a field holds, which decides its bad values. */
  enum Kind {
    TEXT, // a clean string with a length limit
    MESSAGE, // a string that may be long (cut) but must be a string
    DURATION,
    TOKEN, // a non-negative long
    INT,
    BOOL,
    ANY, // any JSON value
    TEXTS, // an array of strings
    ERROR, // a message or {type, message}
    OBJECT, // a nested object with its own fields
    JOBS // an array of job requests
  }

  record Field(String name, Kind kind, boolean required, Object valid) {}

  record Endpoint(String method, String path, List<Field> fields, boolean needsKey) {

    ObjectNode valid() {
      ObjectNode o = TenantApi.JSON.createObjectNode();
      for (Field f : fields) {
        o.set(f.name(), TenantApi.JSON.valueToTree(f.valid()));
      }
      return o;
    }

    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  /** A broken body and what it breaks. */
  record Case(Endpoint endpoint, String what, byte[] body) {}

  private static final List<Endpoint> ENDPOINTS = new ArrayList<>();
  private static final Map<String, JsonNode> BEFORE = new LinkedHashMap<>();

  /** Every row of the tenant's store before the fuzz. */
  private static Map<String, List<String>> storeBefore = Map.of();

  /** Every Idempotency-Key sent with a broken body: (path, key). */
  private static final List<String[]> IDEMPOTENCY_KEYS_SENT = new ArrayList<>();

  private static long recordToken;
  private static long lockToken;
  private static @Nullable String jobId;
  private static long jobToken;
  private static int sent;

  @BeforeAll
  static void start() throws Exception {
    server =
        IdemServer.start(ServerConfig.builder().port(0).dataDir(dir).apiKey(KEY, TENANT).build());
    api = new TenantApi(server, KEY);

    recordToken =
        api.post("/v1/records/claim", "{\"key\":\"fz-held\",\"payload\":1,\"lease\":\"PT1H\"}")
            .expect(201)
            .number("token");
    lockToken =
        api.post(
                "/v1/locks/fz-lock/acquire",
                "{\"owner\":\"fz\",\"lease\":\"PT1H\"}",
                Map.of("Idempotency-Key", "setup"))
            .expect(200)
            .number("token");
    ENDPOINTS.addAll(recordAndLockEndpoints());
    if (api.get("/v1/jobs/stats").status() == 200) {
      api.post("/v1/jobs", "{\"type\":\"fz.run\",\"queue\":\"fz-run\"}").expect(201);
      JsonNode claimed =
          api.post(
                  "/v1/workers/claim",
                  "{\"queues\":[\"fz-run\"],\"workerId\":\"fz-w\",\"lease\":\"PT1H\"}")
              .expect(200)
              .body()
              .path("jobs")
              .get(0);
      jobId = claimed.path("id").asText();
      jobToken = claimed.path("token").asLong();
      ENDPOINTS.addAll(jobEndpoints());
    }
    snapshot(BEFORE);
    storeBefore = StoreContents.of(dir, TENANT);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static List<Endpoint> recordAndLockEndpoints() {
    Map<String, Object> error = Map.of("type", "E", "message", "m");
    return List.of(
        new Endpoint(
            "POST",
            "/v1/records/claim",
            List.of(
                new Field("key", Kind.TEXT, true, "fz-new"),
                new Field("payload", Kind.ANY, false, Map.of("a", 1)),
                new Field("lease", Kind.DURATION, false, "PT30S"),
                new Field("ttl", Kind.DURATION, false, "PT1H")),
            false),
        new Endpoint(
            "POST",
            "/v1/records/complete",
            List.of(
                new Field("key", Kind.TEXT, true, "fz-held"),
                new Field("token", Kind.TOKEN, true, recordToken),
                new Field("result", Kind.ANY, true, Map.of("r", List.of(1, 2))),
                new Field("ttl", Kind.DURATION, false, "PT1H")),
            false),
        new Endpoint(
            "POST",
            "/v1/records/fail",
            List.of(
                new Field("key", Kind.TEXT, true, "fz-held"),
                new Field("token", Kind.TOKEN, true, recordToken),
                new Field("error", Kind.ERROR, true, error),
                new Field("retryable", Kind.BOOL, false, true),
                new Field("retryAfter", Kind.DURATION, false, "PT1S"),
                new Field("ttl", Kind.DURATION, false, "PT1H")),
            false),
        new Endpoint(
            "POST",
            "/v1/records/extend",
            List.of(
                new Field("key", Kind.TEXT, true, "fz-held"),
                new Field("token", Kind.TOKEN, true, recordToken),
                new Field("lease", Kind.DURATION, true, "PT2H")),
            false),
        new Endpoint(
            "POST",
            "/v1/locks/fz-free/acquire",
            List.of(
                new Field("owner", Kind.TEXT, true, "o"),
                new Field("lease", Kind.DURATION, true, "PT1M"),
                new Field("wait", Kind.DURATION, false, "PT0.01S")),
            true),
        new Endpoint(
            "POST",
            "/v1/locks/fz-lock/extend",
            List.of(
                new Field("token", Kind.TOKEN, true, lockToken),
                new Field("lease", Kind.DURATION, true, "PT2H")),
            false),
        new Endpoint(
            "POST",
            "/v1/locks/fz-lock/release",
            List.of(
                new Field("token", Kind.TOKEN, true, lockToken),
                new Field("keepFor", Kind.DURATION, false, "PT1S")),
            false));
  }

  private static List<Endpoint> jobEndpoints() {
    Map<String, Object> job =
        Map.of(
            "type",
            "fz.type",
            "args",
            Map.of("a", 1),
            "queue",
            "fz-q",
            "priority",
            1,
            "maxAttempts",
            3,
            "delay",
            "PT1S",
            "unique",
            Map.of("by", "key", "key", "fz-u"));
    List<Field> jobFields =
        List.of(
            new Field("type", Kind.TEXT, true, "fz.type"),
            new Field("args", Kind.ANY, false, Map.of("a", 1)),
            new Field("queue", Kind.TEXT, false, "fz-q"),
            new Field("priority", Kind.INT, false, 1),
            new Field("maxAttempts", Kind.INT, false, 3),
            new Field("delay", Kind.DURATION, false, "PT1S"),
            new Field("unique", Kind.OBJECT, false, Map.of("by", "key", "key", "fz-u")));
    String id = "/v1/jobs/" + jobId;
    return List.of(
        new Endpoint("POST", "/v1/jobs", jobFields, false),
        new Endpoint(
            "POST",
            "/v1/jobs/batch",
            List.of(new Field("jobs", Kind.JOBS, true, List.of(job))),
            false),
        new Endpoint(
            "POST",
            "/v1/workers/claim",
            List.of(
                new Field("queues", Kind.TEXTS, true, List.of("fz-run", "fz-q")),
                new Field("workerId", Kind.TEXT, true, "fz-w2"),
                new Field("lease", Kind.DURATION, false, "PT30S"),
                new Field("limit", Kind.INT, false, 5)),
            false),
        new Endpoint(
            "POST",
            id + "/heartbeat",
            List.of(
                new Field("token", Kind.TOKEN, true, jobToken),
                new Field("lease", Kind.DURATION, false, "PT50M")),
            false),
        new Endpoint(
            "POST",
            id + "/complete",
            List.of(
                new Field("token", Kind.TOKEN, true, jobToken),
                new Field("result", Kind.ANY, false, Map.of("ok", true))),
            false),
        new Endpoint(
            "POST",
            id + "/fail",
            List.of(
                new Field("token", Kind.TOKEN, true, jobToken),
                new Field("error", Kind.MESSAGE, true, "boom"),
                new Field("retryIn", Kind.DURATION, false, "PT1S")),
            false));
  }

  // ---- bad values -----------------------------------------------------------------------------

  private static final String DEEP_ARRAY = "[".repeat(10_000) + "]".repeat(10_000);
  private static final String DEEP_OBJECT = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
  private static final List<String> INVALID_TOKENS =
      List.of("NaN", "Infinity", "-Infinity", "01", "'x'", "undefined", "0x10", "+1", ".5", "1.");
  private static final List<byte[]> BAD_UTF8 =
      List.of(
          bytes(0xC3, 0x28),
          bytes(0xFF),
          bytes(0xC0, 0xAF),
          bytes(0xED, 0xA0, 0x80),
          bytes(0xF8, 0x88, 0x80, 0x80, 0x80),
          bytes(0x80),
          bytes(0xE2, 0x82));

  /** JSON texts that are bad for a field of {@code kind}. */
  static List<String> badValues(Field f) {
    List<String> v = new ArrayList<>(INVALID_TOKENS);
    v.add(DEEP_ARRAY);
    if (f.required() && f.kind() != Kind.ANY) { // null is a value of ANY (a null result)
      v.add("null");
    }
    String longText = "\"" + "x".repeat(10_000) + "\"";
    switch (f.kind()) {
      case TEXT -> {
        v.addAll(List.of("1", "1.5", "true", "{}", "[]", "[\"x\"]", "\"\"", "\"   \""));
        v.addAll(List.of("\"a\\u0000b\"", "\"\\u001f\"", "\"\\ud800\"", longText));
      }
      case MESSAGE -> v.addAll(List.of("1", "true", "{}", "[\"x\"]"));
      case DURATION ->
          v.addAll(
              List.of(
                  "\"soon\"",
                  "30",
                  "\"-PT1S\"",
                  "\"P99999999999D\"",
                  "\"P99999D\"",
                  "\"PT1S PT1S\"",
                  "\"1h\"",
                  "\"\"",
                  "{}",
                  "[]",
                  "true",
                  "\"" + "PT1S".repeat(1000) + "\""));
      case TOKEN, INT ->
          v.addAll(
              List.of(
                  "\"1\"",
                  "1.5",
                  "1e400",
                  "99999999999999999999999",
                  "-99999999999999999999999",
                  "true",
                  "{}",
                  "[]",
                  "[1]"));
      default -> {}
    }
    if (f.kind() == Kind.TOKEN) {
      v.add("-1");
    }
    switch (f.kind()) {
      case BOOL -> v.addAll(List.of("\"true\"", "1", "0", "{}", "[]"));
      case ANY -> v.addAll(List.of(DEEP_OBJECT, "1e400", "[1e400]", "{\"a\":\"\\udc00\"}"));
      case TEXTS -> v.addAll(List.of("\"q\"", "[1]", "[]", "[null]", "{}", "[\"\"]", "[[]]"));
      case ERROR ->
          v.addAll(
              List.of(
                  "1",
                  "true",
                  "[]",
                  "{\"type\":1}",
                  "{\"kind\":\"x\"}",
                  "\"a\\u0001\"",
                  "\"" + "m".repeat(4001) + "\""));
      case OBJECT -> v.addAll(List.of("\"x\"", "1", "[]", "{}", "{\"by\":\"nope\"}", "true"));
      case JOBS -> v.addAll(List.of("{}", "\"x\"", "[]", "[1]", "[{}]", "[[]]", "[null]"));
      default -> {}
    }
    return v;
  }

  // ---- cases ----------------------------------------------------------------------------------

  static List<Case> fieldCases(Endpoint e) {
    List<Case> out = new ArrayList<>();
    for (Field f : e.fields()) {
      for (String bad : badValues(f)) {
        out.add(new Case(e, f.name() + "=" + abbreviate(bad), utf8(with(e, f.name(), bad))));
      }
      if (f.required()) {
        ObjectNode o = e.valid();
        o.remove(f.name());
        out.add(new Case(e, "no " + f.name(), utf8(o.toString())));
      }
      if (f.kind() == Kind.TEXT || f.kind() == Kind.MESSAGE || f.kind() == Kind.DURATION) {
        for (byte[] seq : BAD_UTF8) {
          out.add(new Case(e, f.name() + " with invalid UTF-8", withBytes(e, f.name(), seq)));
        }
        out.add(
            new Case(e, f.name() + " with a raw control", utf8(with(e, f.name(), "\"a\u0001b\""))));
        out.add(new Case(e, f.name() + " with a raw newline", utf8(with(e, f.name(), "\"a\nb\""))));
        out.add(
            new Case(
                e,
                f.name() + " of 2 MB",
                utf8(with(e, f.name(), "\"" + "y".repeat(2 * 1024 * 1024) + "\""))));
      }
    }
    return out;
  }

  static List<Case> structuralCases(Endpoint e, Random random) {
    String v = e.valid().toString();
    List<Case> out = new ArrayList<>();
    out.add(new Case(e, "empty", new byte[0]));
    out.add(new Case(e, "blank", utf8("  \n ")));
    for (int i = 0; i < 6; i++) {
      int at = 1 + random.nextInt(v.length() - 1);
      out.add(new Case(e, "truncated at " + at, utf8(v.substring(0, at))));
    }
    for (String whole :
        List.of("null", "true", "1", "\"x\"", "[]", "[" + v + "]", "{}", "1e400", DEEP_ARRAY)) {
      out.add(new Case(e, "body " + abbreviate(whole), utf8(whole)));
    }
    out.add(new Case(e, "deep object", utf8(DEEP_OBJECT)));
    out.add(new Case(e, "trailing token", utf8(v + " x")));
    out.add(new Case(e, "two objects", utf8(v + "{}")));
    out.add(new Case(e, "trailing comma", utf8(v.substring(0, v.length() - 1) + ",}")));
    out.add(new Case(e, "comment", utf8("/*c*/" + v)));
    out.add(new Case(e, "single quotes", utf8(v.replace('"', '\''))));
    out.add(new Case(e, "raw control between tokens", utf8("{\u0001" + v.substring(1))));
    out.add(new Case(e, "NUL byte", utf8(v + "\u0000")));
    out.add(new Case(e, "unknown field", utf8("{\"zz_unknown\":1," + v.substring(1))));
    out.add(new Case(e, "unknown null field", utf8("{\"zz\":null," + v.substring(1))));
    out.add(
        new Case(
            e, "long unknown field", utf8("{\"" + "k".repeat(10_000) + "\":1," + v.substring(1))));
    out.add(new Case(e, "control in a name", utf8("{\"a\\u0000\":1," + v.substring(1))));
    String first = e.fields().get(0).name();
    out.add(
        new Case(
            e,
            "duplicate field",
            utf8("{\"" + first + "\":" + e.valid().get(first) + "," + v.substring(1))));
    out.add(new Case(e, "invalid UTF-8 outside strings", concat(utf8(v), bytes(0xFF))));
    out.add(new Case(e, "UTF-16", v.getBytes(StandardCharsets.UTF_16)));
    out.add(new Case(e, "2 MB of spaces", utf8(" ".repeat(2 * 1024 * 1024) + "{")));
    return out;
  }

  /** Breaks 2 to 4 fields at once, or a field and the structure. */
  static Case randomCase(Endpoint e, Random random) {
    ObjectNode o = e.valid();
    String text = null;
    int n = 2 + random.nextInt(3);
    List<String> what = new ArrayList<>();
    Map<String, String> raw = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Field f = e.fields().get(random.nextInt(e.fields().size()));
      List<String> bad = badValues(f);
      String b = bad.get(random.nextInt(bad.size()));
      raw.put(f.name(), b);
      what.add(f.name() + "=" + abbreviate(b));
    }
    StringBuilder sb = new StringBuilder("{");
    for (Field f : e.fields()) {
      String value =
          raw.containsKey(f.name()) ? raw.get(f.name()) : String.valueOf(o.get(f.name()));
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append('"').append(f.name()).append("\":").append(value);
    }
    text = sb.append('}').toString();
    if (random.nextInt(4) == 0) {
      text = text.substring(0, 1 + random.nextInt(text.length() - 1));
      what.add("truncated");
    }
    return new Case(e, String.join(", ", what), utf8(text));
  }

  // ---- the test -------------------------------------------------------------------------------

  @Test
  void everyBrokenBodyIsA4xxProblemAndNothingIsWritten() throws Exception {
    long seed = Long.getLong("idem.fuzz.seed", System.nanoTime());
    Random random = new Random(seed);
    List<Case> cases = new ArrayList<>();
    for (Endpoint e : ENDPOINTS) {
      cases.addAll(fieldCases(e));
      cases.addAll(structuralCases(e, random));
      for (int i = 0; i < 60; i++) {
        cases.add(randomCase(e, random));
      }
    }
    List<String> failures = new ArrayList<>();
    for (Case c : cases) {
      String failure = check(c, random);
      if (failure != null) {
        failures.add(failure);
      }
    }
    assertThat(failures)
        .as("%d of %d cases (seed %d) answered otherwise", failures.size(), cases.size(), seed)
        .isEmpty();
    assertThat(sent).isGreaterThan(ENDPOINTS.size() * 100);

    assertThat(ServerTesting.get(server, "/health", Map.of()).statusCode()).isEqualTo(200);
    Map<String, JsonNode> after = new LinkedHashMap<>();
    snapshot(after);
    assertThat(after).isEqualTo(BEFORE);

    // nothing written: not a row of the store, not a reply of an Idempotency-Key, not a job
    Map<String, List<String>> storeAfter = StoreContents.of(dir, TENANT);
    assertThat(storeAfter)
        .as(
            "the rows of the store (per table: before %s, after %s)",
            StoreContents.counts(storeBefore), StoreContents.counts(storeAfter))
        .isEqualTo(storeBefore);
    assertThat(IDEMPOTENCY_KEYS_SENT).hasSizeGreaterThan(ENDPOINTS.size() * 20);
    assertThat(storedReplies(IDEMPOTENCY_KEYS_SENT))
        .as("stored replies of refused requests")
        .isEmpty();
    assertThat(jobsNamedByTheBodies()).as("jobs of the types, queues and keys sent").isEmpty();

    // the control: the unbroken bodies pass validation, and now do write, which the same checks see
    List<String[]> controlKeys = new ArrayList<>();
    for (Endpoint e : ENDPOINTS) {
      String key = UUID.randomUUID().toString();
      controlKeys.add(new String[] {e.path(), key});
      TenantApi.Answer a = api.post(e.path(), e.valid().toString(), Map.of("Idempotency-Key", key));
      assertThat(a.status())
          .as("%s with its valid body -> %s", e, a.raw().body())
          .satisfiesAnyOf(
              s -> assertThat(s).isBetween(200, 299), s -> assertThat(s).isEqualTo(409));
    }
    assertThat(api.get("/v1/records/fz-new").expect(200).text("state")).isEqualTo("in_progress");
    assertThat(StoreContents.of(dir, TENANT)).isNotEqualTo(storeBefore);
    assertThat(storedReplies(controlKeys)).contains("POST /v1/locks/fz-free/acquire");
    if (jobId != null) {
      assertThat(storedReplies(controlKeys)).contains("POST /v1/jobs", "POST /v1/jobs/batch");
      assertThat(jobsNamedByTheBodies()).isNotEmpty();
    }
  }

  /** The requests among {@code sent} (path, Idempotency-Key) whose reply the tenant stored. */
  private static List<String> storedReplies(List<String[]> sent) {
    IdempotencyStore records = server.context().tenantNamed(TENANT).idempotencyStore();
    List<String> stored = new ArrayList<>();
    for (String[] s : sent) {
      if (records.get(ServerContext.idempotencyRecordKey("POST", s[0], s[1])).isPresent()) {
        stored.add("POST " + s[0]);
      }
    }
    return stored;
  }

  /**
   * The jobs, found through the API, of the type, queue and unique key the job bodies name: none
   * before the control (the setup's job is of another type, queue and key).
   */
  private static List<String> jobsNamedByTheBodies() throws Exception {
    List<String> found = new ArrayList<>();
    if (jobId == null) {
      return found;
    }
    for (String query : List.of("type=fz.type", "queue=fz-q")) {
      api.get("/v1/jobs?limit=100&" + query)
          .expect(200)
          .body()
          .path("jobs")
          .forEach(j -> found.add(query + ": " + j.path("id").asText()));
    }
    JsonNode pending = api.get("/v1/jobs/pending?uniqueKey=fz.type:key%3Dfz-u").expect(200).body();
    for (String state : List.of("running", "scheduled", "queued")) {
      if (pending.path(state).asLong() != 0) {
        found.add("pending " + state + ": " + pending);
      }
    }
    return found;
  }

  private static @Nullable String check(Case c, Random random) throws Exception {
    Map<String, String> headers = new HashMap<>();
    if (c.endpoint().needsKey() || random.nextBoolean()) {
      String key = UUID.randomUUID().toString();
      headers.put("Idempotency-Key", key);
      IDEMPOTENCY_KEYS_SENT.add(new String[] {c.endpoint().path(), key});
    }
    TenantApi.Answer a;
    try {
      a = api.sendBytes(c.endpoint().method(), c.endpoint().path(), c.body(), headers);
    } catch (java.io.IOException e) {
      return c.endpoint() + " [" + c.what() + "]: connection failed: " + e;
    }
    sent++;
    int s = a.status();
    if ((s != 400 && s != 413) || !a.isProblem() || a.body().path("status").asInt() != s) {
      return c.endpoint() + " [" + c.what() + "] -> " + s + " " + abbreviate(a.raw().body());
    }
    return null;
  }

  /** What the valid bodies would change, read back. */
  private static void snapshot(Map<String, JsonNode> into) throws Exception {
    into.put("record fz-held", api.get("/v1/records/fz-held").expect(200).body());
    into.put("record fz-new", api.get("/v1/records/fz-new").expect(404).body().path("status"));
    JsonNode lock = api.get("/v1/locks/fz-lock").expect(200).body();
    into.put("lock fz-lock", withoutLeaseLeft(lock));
    into.put("lock fz-free", api.get("/v1/locks/fz-free").expect(404).body().path("status"));
    List<JsonNode> locks = new ArrayList<>();
    api.get("/v1/locks")
        .expect(200)
        .body()
        .path("locks")
        .forEach(l -> locks.add(withoutLeaseLeft(l)));
    into.put("locks", TenantApi.JSON.valueToTree(locks));
    if (jobId != null) {
      into.put("job stats", api.get("/v1/jobs/stats").expect(200).body());
      into.put("jobs", api.get("/v1/jobs?limit=100").expect(200).body());
      into.put("running job", api.get("/v1/jobs/" + jobId).expect(200).body());
    }
  }

  private static JsonNode withoutLeaseLeft(JsonNode lock) {
    ObjectNode o = lock.deepCopy();
    o.remove("leaseLeft");
    o.remove("leaseLeftMillis");
    return o;
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static String with(Endpoint e, String field, String rawValue) {
    StringBuilder sb = new StringBuilder("{");
    ObjectNode o = e.valid();
    for (Field f : e.fields()) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append('"')
          .append(f.name())
          .append("\":")
          .append(f.name().equals(field) ? rawValue : o.get(f.name()).toString());
    }
    return sb.append('}').toString();
  }

  private static byte[] withBytes(Endpoint e, String field, byte[] seq) {
    String text = with(e, field, "\"a@@BAD@@b\"");
    int at = text.indexOf("@@BAD@@");
    return concat(utf8(text.substring(0, at)), seq, utf8(text.substring(at + "@@BAD@@".length())));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...(" + s.length() + ")";
  }
}
