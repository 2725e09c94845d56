package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.HandlerType;
import io.javalin.router.Endpoint;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document at {@code GET /openapi.json} against the real server: every route Javalin
 * has is documented and every documented operation is a route, with the same path parameters;
 * operations that take input document their problems; security is as documented; and real answers
 * of every operation (statuses, content types, headers and bodies) fit the documented responses,
 * strictly (no undocumented member).
 */
class OpenApiTest {

  static final String KEY = "key-openapi-0123456789abcdef";
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> METHODS =
      List.of("get", "put", "post", "delete", "patch", "head", "options", "trace");
  static final Pattern PATH_PARAM = Pattern.compile("\\{([^}/]+)}");
  static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;
  private IdemServer server;
  private JsonNode doc;
  private SchemaCheck schemas;

  /** The operations ("GET /v1/jobs/{id}") whose success answer was checked. */
  private final Set<String> answered = new TreeSet<>();

  @BeforeEach
  void start() throws Exception {
    server =
        IdemServer.start(ServerConfig.builder().port(0).dataDir(dir).apiKey(KEY, "acme").build());
    HttpResponse<String> r = ServerTesting.get(server, "/openapi.json", Map.of());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    doc = JSON.readTree(r.body());
    schemas = new SchemaCheck(doc);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  // ---- the document and the routes ------------------------------------------------------------

  @Test
  void theDocumentIsOpenApi31AsKeptOnTheClasspath() throws Exception {
    assertThat(doc.path("openapi").asText()).matches("3\\.1\\.\\d+");
    assertThat(doc.path("info").path("title").asText()).isNotBlank();
    assertThat(doc).isEqualTo(JSON.readTree(OpenApiRoutes.document()));
  }

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() {
    Set<String> routes = routes();
    Set<String> documented = operations().keySet();
    assertThat(routes).as("routes of the server").hasSizeGreaterThan(30);
    assertThat(documented).as("documented but not routes").isSubsetOf(routes);
    assertThat(routes).as("routes not documented").isSubsetOf(documented);
  }

  @Test
  void pathParametersAreThoseOfThePathAndRequired() {
    operations()
        .forEach(
            (name, op) -> {
              String path = name.substring(name.indexOf(' ') + 1);
              Set<String> inPath = new TreeSet<>();
              Matcher m = PATH_PARAM.matcher(path);
              while (m.find()) {
                inPath.add(m.group(1));
              }
              Set<String> declared = new TreeSet<>();
              for (JsonNode p : parameters(op)) {
                if (p.path("in").asText().equals("path")) {
                  declared.add(p.path("name").asText());
                  assertThat(p.path("required").asBoolean())
                      .as("%s: %s required", name, p)
                      .isTrue();
                }
              }
              assertThat(declared).as("path parameters of %s", name).isEqualTo(inPath);
            });
  }

  @Test
  void everyOperationIsWellFormed() {
    Set<String> ids = new TreeSet<>();
    operations()
        .forEach(
            (name, op) -> {
              assertThat(ids.add(op.path("operationId").asText()))
                  .as("unique operationId of %s", name)
                  .isTrue();
              assertThat(op.path("summary").asText()).as("summary of %s", name).isNotBlank();
              JsonNode responses = op.path("responses");
              assertThat(responses.size()).as("responses of %s", name).isPositive();
              boolean takesInput = op.has("requestBody") || !parameters(op).isEmpty();
              boolean problem4xx = false;
              for (Iterator<String> it = responses.fieldNames(); it.hasNext(); ) {
                String code = it.next();
                JsonNode r = schemas.resolve(responses.get(code));
                assertThat(r.path("description").asText())
                    .as("%s %s description", name, code)
                    .isNotBlank();
                if (code.startsWith("4") || code.startsWith("5")) {
                  assertThat(r.path("content").has("application/problem+json"))
                      .as("%s %s is a problem", name, code)
                      .isTrue();
                  schemas.resolve(
                      r.path("content").path("application/problem+json").path("schema"));
                  problem4xx |= code.startsWith("4");
                }
              }
              if (takesInput) {
                assertThat(problem4xx)
                    .as("%s takes input: a 4xx problem is documented", name)
                    .isTrue();
              }
              if (op.has("requestBody")) {
                assertThat(responses.has("400")).as("%s has a body: 400", name).isTrue();
              }
            });
    // every $ref of the document resolves
    List<JsonNode> refs = doc.findParents("$ref");
    assertThat(refs).isNotEmpty();
    refs.forEach(schemas::resolve);
  }

  @Test
  void theRoutesAskForAKeyExactlyAsDocumented() throws Exception {
    operations()
        .forEach(
            (name, op) -> {
              String method = name.substring(0, name.indexOf(' '));
              String path = name.substring(name.indexOf(' ') + 1);
              boolean isPublic = op.has("security") && op.get("security").isEmpty();
              assertThat(isPublic).as("%s public", name).isEqualTo(!path.startsWith("/v1/"));
              String concrete = sample(path, op);
              String body = op.has("requestBody") ? "{}" : null;
              try {
                if (isPublic) {
                  HttpResponse<String> r = send(method, concrete, body, Map.of());
                  assertThat(r.statusCode()).as("%s without a key", name).isNotEqualTo(401);
                } else {
                  call(method, path, concrete, body, Map.of("X-Api-Key", ""), 401);
                  call(method, path, concrete, body, Map.of("X-Api-Key", "wrong"), 401);
                }
              } catch (Exception e) {
                throw new AssertionError(name, e);
              }
            });
  }

  // ---- real answers -------------------------------------------------------------------------

  @Test
  void realAnswersOfEveryOperationFitTheDocument() throws Exception {
    // server
    call("GET", "/health", "/health", null, Map.of(), 200);
    call("GET", "/metrics", "/metrics", null, Map.of(), 200);
    call("GET", "/openapi.json", "/openapi.json", null, Map.of(), 200);
    call("GET", "/", "/", null, Map.of(), 200);
    call("GET", "/dashboard", "/dashboard", null, Map.of(), 302);
    call("GET", "/dashboard/{file}", "/dashboard/dashboard.js", null, Map.of(), 200);
    call("GET", "/dashboard/{file}", "/dashboard/dashboard.css", null, Map.of(), 200);
    call("GET", "/dashboard/{file}", "/dashboard/secret.txt", null, Map.of(), 404);

    // jobs
    String welcome =
        "{\"type\":\"email.send\",\"args\":{\"to\":\"a@b.c\"},\"queue\":\"mail\",\"priority\":5,"
            + "\"maxAttempts\":3,\"timeout\":\"PT1M\",\"unique\":{\"by\":\"key\",\"key\":\"u-1\"}}";
    Map<String, String> idem = Map.of("Idempotency-Key", "enqueue-1");
    JsonNode created = call("POST", "/v1/jobs", "/v1/jobs", welcome, idem, 201);
    String id = created.path("job").path("id").asText();
    HttpResponse<String> replay = raw("POST", "/v1/jobs", "/v1/jobs", welcome, idem, 201);
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    call("POST", "/v1/jobs", "/v1/jobs", welcome.replace("a@b.c", "x@y.z"), idem, 422);
    JsonNode rejected = call("POST", "/v1/jobs", "/v1/jobs", welcome, Map.of(), 409);
    assertThat(rejected.path("job").path("id").asText()).isEqualTo(id);
    assertThat(rejected.path("pending").path("queued").asLong()).isEqualTo(1);
    assertThat(rejected.has("field")).isFalse();
    call(
        "POST",
        "/v1/jobs",
        "/v1/jobs",
        welcome.replace("\"key\":\"u-1\"", "\"key\":\"u-1\",\"onConflict\":\"IGNORE\""),
        Map.of(),
        200);
    JsonNode bad =
        call("POST", "/v1/jobs", "/v1/jobs", "{\"type\":\"t\",\"bogus\":1}", Map.of(), 400);
    assertThat(bad.path("field").asText()).isEqualTo("bogus");
    replayed(
        "POST",
        "/v1/jobs/batch",
        "/v1/jobs/batch",
        "{\"jobs\":[{\"type\":\"report.build\",\"args\":[1,2],\"delay\":\"PT1H\"},"
            + "{\"type\":\"report.build\",\"unique\":{\"by\":\"entity\",\"entity\":\"user\","
            + "\"entityId\":42,\"period\":\"P1D\",\"states\":[\"SUCCEEDED\"],\"reuse\":\"REJECT\"}},"
            + welcome
            + "]}",
        "batch-1",
        200);
    JsonNode page =
        call("GET", "/v1/jobs", "/v1/jobs?limit=2&state=QUEUED,SCHEDULED", null, Map.of(), 200);
    call("GET", "/v1/jobs", "/v1/jobs?after=" + page.path("next").asText(), null, Map.of(), 200);
    call("GET", "/v1/jobs", "/v1/jobs?limit=0", null, Map.of(), 400);
    call("GET", "/v1/jobs", "/v1/jobs?colour=red", null, Map.of(), 400);
    call("GET", "/v1/jobs/stats", "/v1/jobs/stats", null, Map.of(), 200);
    call(
        "GET",
        "/v1/jobs/pending",
        "/v1/jobs/pending?uniqueKey="
            + URLEncoder.encode(
                created.path("job").path("uniqueKey").asText(), StandardCharsets.UTF_8),
        null,
        Map.of(),
        200);
    call("GET", "/v1/jobs/pending", "/v1/jobs/pending", null, Map.of(), 400);
    call("GET", "/v1/jobs/{id}", "/v1/jobs/" + id, null, Map.of(), 200);
    call("GET", "/v1/jobs/{id}", "/v1/jobs/no-such-job", null, Map.of(), 404);

    // remote workers
    JsonNode claimed =
        call(
            "POST",
            "/v1/workers/claim",
            "/v1/workers/claim",
            "{\"queues\":[\"mail\"],\"types\":[\"email.send\"],\"workerId\":\"w-1\",\"lease\":\"PT1M\",\"limit\":5}",
            Map.of(),
            200);
    assertThat(claimed.path("jobs").size()).isEqualTo(1);
    long token = claimed.path("jobs").get(0).path("token").asLong();
    String at = "/v1/jobs/" + id;
    call(
        "POST",
        "/v1/jobs/{id}/heartbeat",
        at + "/heartbeat",
        "{\"token\":" + token + ",\"lease\":\"PT2M\"}",
        Map.of(),
        200);
    call(
        "POST",
        "/v1/jobs/{id}/heartbeat",
        at + "/heartbeat",
        "{\"token\":" + (token + 7) + "}",
        Map.of(),
        409);
    call(
        "POST",
        "/v1/jobs/{id}/heartbeat",
        "/v1/jobs/nope/heartbeat",
        "{\"token\":1}",
        Map.of(),
        404);
    String done = "{\"token\":" + token + ",\"result\":{\"messageId\":\"m-1\"}}";
    call("POST", "/v1/jobs/{id}/complete", at + "/complete", done, Map.of(), 200);
    call("POST", "/v1/jobs/{id}/complete", at + "/complete", done, Map.of(), 200);
    call(
        "POST",
        "/v1/jobs/{id}/complete",
        at + "/complete",
        "{\"token\":" + (token + 7) + "}",
        Map.of(),
        409);
    String other =
        call(
                "POST",
                "/v1/jobs",
                "/v1/jobs",
                "{\"type\":\"sms.send\",\"queue\":\"sms\"}",
                Map.of(),
                201)
            .path("job")
            .path("id")
            .asText();
    long t2 =
        call(
                "POST",
                "/v1/workers/claim",
                "/v1/workers/claim",
                "{\"queues\":[\"sms\"],\"workerId\":\"w-2\"}",
                Map.of(),
                200)
            .path("jobs")
            .get(0)
            .path("token")
            .asLong();
    call(
        "POST",
        "/v1/jobs/{id}/fail",
        "/v1/jobs/" + other + "/fail",
        "{\"token\":" + t2 + ",\"error\":\"gateway down\\nretry later\",\"retryIn\":\"PT10M\"}",
        Map.of(),
        200);
    call(
        "POST",
        "/v1/jobs/{id}/fail",
        "/v1/jobs/" + other + "/fail",
        "{\"token\":" + t2 + "}",
        Map.of(),
        400);

    // cancel and retry
    String queued =
        call("POST", "/v1/jobs", "/v1/jobs", JobApi.uniqueJob("cleanup", "c-1"), Map.of(), 201)
            .path("job")
            .path("id")
            .asText();
    call("POST", "/v1/jobs/{id}/cancel", "/v1/jobs/" + queued + "/cancel", null, Map.of(), 200);
    call("POST", "/v1/jobs/{id}/cancel", "/v1/jobs/" + queued + "/cancel", null, Map.of(), 200);
    call("POST", "/v1/jobs/{id}/cancel", at + "/cancel", null, Map.of(), 409);
    call("POST", "/v1/jobs/{id}/retry", "/v1/jobs/" + queued + "/retry", null, Map.of(), 200);
    call("POST", "/v1/jobs/{id}/retry", "/v1/jobs/" + queued + "/retry", null, Map.of(), 409);
    call("POST", "/v1/jobs/{id}/cancel", "/v1/jobs/" + queued + "/cancel", null, Map.of(), 200);
    call("POST", "/v1/jobs", "/v1/jobs", JobApi.uniqueJob("cleanup", "c-1"), Map.of(), 201);
    JsonNode holder =
        call("POST", "/v1/jobs/{id}/retry", "/v1/jobs/" + queued + "/retry", null, Map.of(), 409);
    assertThat(holder.has("holder")).isTrue();
    call("POST", "/v1/jobs/{id}/cancel", "/v1/jobs/no-such-job/cancel", null, Map.of(), 404);
    call("POST", "/v1/jobs/{id}/retry", "/v1/jobs/no-such-job/retry", null, Map.of(), 404);
    call("GET", "/v1/dashboard", "/v1/dashboard?job=" + id, null, Map.of(), 200);
    call("GET", "/v1/dashboard", "/v1/dashboard?job=" + "x".repeat(201), null, Map.of(), 400);

    // records
    String claim =
        "{\"key\":\"email:welcome:42\",\"payload\":{\"to\":\"a@b.c\"},\"lease\":\"PT1M\"}";
    long rt =
        call("POST", "/v1/records/claim", "/v1/records/claim", claim, Map.of(), 201)
            .path("token")
            .asLong();
    call("POST", "/v1/records/claim", "/v1/records/claim", claim, Map.of(), 409);
    call(
        "POST",
        "/v1/records/extend",
        "/v1/records/extend",
        "{\"key\":\"email:welcome:42\",\"token\":" + rt + ",\"lease\":\"PT5M\"}",
        Map.of(),
        200);
    call(
        "POST",
        "/v1/records/extend",
        "/v1/records/extend",
        "{\"key\":\"email:welcome:42\",\"token\":" + (rt + 9) + ",\"lease\":\"PT5M\"}",
        Map.of(),
        409);
    String complete =
        "{\"key\":\"email:welcome:42\",\"token\":" + rt + ",\"result\":{\"id\":\"m-1\"}}";
    call("POST", "/v1/records/complete", "/v1/records/complete", complete, Map.of(), 200);
    JsonNode again =
        call("POST", "/v1/records/complete", "/v1/records/complete", complete, Map.of(), 200);
    assertThat(again.path("replayed").asBoolean()).isTrue();
    call("POST", "/v1/records/claim", "/v1/records/claim", claim, Map.of(), 200);
    call(
        "POST",
        "/v1/records/claim",
        "/v1/records/claim",
        claim.replace("a@b.c", "x@y.z"),
        Map.of(),
        422);
    call("GET", "/v1/records/{key}", "/v1/records/email:welcome:42", null, Map.of(), 200);
    call("GET", "/v1/records/{key}", "/v1/records/no:such:key", null, Map.of(), 404);
    long ft =
        call(
                "POST",
                "/v1/records/claim",
                "/v1/records/claim",
                "{\"key\":\"report/2026/01\"}",
                Map.of(),
                201)
            .path("token")
            .asLong();
    call(
        "POST",
        "/v1/records/fail",
        "/v1/records/fail",
        "{\"key\":\"report/2026/01\",\"token\":"
            + ft
            + ",\"error\":{\"type\":\"Timeout\",\"message\":\"slow\"},\"retryable\":false}",
        Map.of(),
        200);
    call(
        "POST",
        "/v1/records/claim",
        "/v1/records/claim",
        "{\"key\":\"report/2026/01\"}",
        Map.of(),
        200);
    call("GET", "/v1/records/{key}", "/v1/records/report/2026/01", null, Map.of(), 200);
    call(
        "POST",
        "/v1/records/fail",
        "/v1/records/fail",
        "{\"key\":\"report/2026/01\",\"token\":" + (ft + 9) + ",\"error\":\"x\"}",
        Map.of(),
        409);
    call(
        "POST",
        "/v1/records/claim",
        "/v1/records/claim",
        "{\"key\":\"a\",\"lease\":\"soon\"}",
        Map.of(),
        400);
    long pt =
        call(
                "POST",
                "/v1/records/claim",
                "/v1/records/claim",
                "{\"key\":\"pending\"}",
                Map.of(),
                201)
            .path("token")
            .asLong();
    call("GET", "/v1/records/{key}", "/v1/records/pending", null, Map.of(), 200);
    call(
        "POST",
        "/v1/records/fail",
        "/v1/records/fail",
        "{\"key\":\"pending\",\"token\":" + pt + ",\"error\":\"x\",\"retryAfter\":\"PT1M\"}",
        Map.of(),
        200);

    // trackers
    String tracker = "/v1/trackers/user:42/welcome-mails";
    String tpl = "/v1/trackers/{scope}/{tracker}";
    call("PUT", tpl + "/{id}", tracker + "/msg/1", null, Map.of(), 200);
    call("GET", tpl + "/{id}", tracker + "/msg/1", null, Map.of(), 200);
    call("GET", tpl, tracker, null, Map.of(), 200);
    call("DELETE", tpl + "/{id}", tracker + "/msg/1", null, Map.of(), 200);
    call("PUT", tpl + "/{id}", tracker + "/msg/2", null, Map.of(), 200);
    call("DELETE", tpl, tracker, null, Map.of(), 200);
    call("GET", tpl, "/v1/trackers/nokind/welcome", null, Map.of(), 400);
    call("GET", tpl, "/v1/trackers/global/bad%20name", null, Map.of(), 400);

    // locks
    String acquire = "{\"owner\":\"node-1\",\"lease\":\"PT1M\",\"wait\":\"PT0S\"}";
    JsonNode keyless =
        call(
            "POST",
            "/v1/locks/{name}/acquire",
            "/v1/locks/nightly/acquire",
            acquire,
            Map.of(),
            400);
    assertThat(keyless.path("field").asText()).isEqualTo("Idempotency-Key");
    Map<String, String> ak = Map.of("Idempotency-Key", "acquire-1");
    long lt =
        call("POST", "/v1/locks/{name}/acquire", "/v1/locks/nightly/acquire", acquire, ak, 200)
            .path("token")
            .asLong();
    HttpResponse<String> again2 =
        raw("POST", "/v1/locks/{name}/acquire", "/v1/locks/nightly/acquire", acquire, ak, 200);
    assertThat(JSON.readTree(again2.body()).path("token").asLong()).isEqualTo(lt);
    assertThat(again2.headers().firstValue("Idempotent-Replayed")).contains("true");
    call(
        "POST",
        "/v1/locks/{name}/acquire",
        "/v1/locks/nightly/acquire",
        acquire.replace("node-1", "node-2"),
        Map.of("Idempotency-Key", "acquire-2"),
        409);
    call(
        "POST",
        "/v1/locks/{name}/acquire",
        "/v1/locks/nightly/acquire",
        acquire.replace("node-1", "node-3"),
        ak,
        422);
    call("GET", "/v1/locks/{name}", "/v1/locks/nightly", null, Map.of(), 200);
    call("GET", "/v1/locks", "/v1/locks", null, Map.of(), 200);
    replayed(
        "POST",
        "/v1/locks/{name}/extend",
        "/v1/locks/nightly/extend",
        "{\"token\":" + lt + ",\"lease\":\"PT2M\"}",
        "extend-1",
        200);
    call(
        "POST",
        "/v1/locks/{name}/extend",
        "/v1/locks/nightly/extend",
        "{\"token\":" + (lt + 5) + ",\"lease\":\"PT2M\"}",
        Map.of(),
        409);
    call(
        "POST",
        "/v1/locks/{name}/release",
        "/v1/locks/nightly/release",
        "{\"token\":" + (lt + 5) + "}",
        Map.of(),
        409);
    replayed(
        "POST",
        "/v1/locks/{name}/release",
        "/v1/locks/nightly/release",
        "{\"token\":" + lt + "}",
        "release-1",
        200);
    call("GET", "/v1/locks/{name}", "/v1/locks/nightly", null, Map.of(), 404);
    call(
        "POST",
        "/v1/locks/{name}/release",
        "/v1/locks/nightly/release",
        "{\"token\":" + lt + ",\"keepFor\":\"PT1S\",\"x\":1}",
        Map.of(),
        400);

    // a chunked body
    HttpRequest chunked =
        HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/jobs"))
            .header("X-Api-Key", KEY)
            .POST(
                HttpRequest.BodyPublishers.ofInputStream(
                    () ->
                        new java.io.ByteArrayInputStream(
                            "{\"type\":\"t\"}".getBytes(StandardCharsets.UTF_8))))
            .build();
    checkAnswer("POST /v1/jobs", CLIENT.send(chunked, HttpResponse.BodyHandlers.ofString()), 411);

    assertThat(answered).as("operations answered with success").isEqualTo(operations().keySet());
  }

  @Test
  void theRequestSchemasAcceptWhatTheServerAcceptsAndRefuseWhatItRefuses() throws Exception {
    JsonNode job = requestSchema("POST /v1/jobs");
    List<String> good =
        List.of(
            "{\"type\":\"t\"}",
            "{\"type\":\"t\",\"args\":null,\"runAt\":\"2030-01-31T10:15:30+02:00\",\"expiresIn\":\"P1D\"}",
            "{\"type\":\"t\",\"args\":\"text\",\"delay\":\"pt0.5s\",\"expiresAt\":\"2031-01-01T00:00:00Z\"}",
            "{\"type\":\"t\",\"id\":\"job-7\",\"priority\":-3}",
            "{\"type\":\"t\",\"deterministicId\":true,\"unique\":{\"by\":\"args\",\"fields\":[\"a\"],\"byQueue\":true}}",
            "{\"type\":\"t\",\"unique\":{\"by\":\"entity\",\"entity\":\"user\",\"entityId\":\"u-9\",\"onConflict\":\"REPLACE\"}}");
    for (String body : good) {
      assertThat(schemas.errors(job, JSON.readTree(body), false)).as(body).isEmpty();
      call("POST", "/v1/jobs", "/v1/jobs", body, Map.of(), 201);
    }
    List<String> bad =
        List.of(
            "{\"args\":{}}",
            "{\"type\":\"\"}",
            "{\"type\":\"t\",\"colour\":\"red\"}",
            "{\"type\":7}",
            "{\"type\":\"t\",\"maxAttempts\":0}",
            "{\"type\":\"t\",\"maxAttempts\":1001}",
            "{\"type\":\"t\",\"priority\":2147483648}",
            "{\"type\":\"t\",\"delay\":\"5s\"}",
            "{\"type\":\"t\",\"runAt\":\"tomorrow\"}",
            "{\"type\":\"t\",\"runAt\":\"2030-01-01T00:00:00Z\",\"delay\":\"PT1S\"}",
            "{\"type\":\"t\",\"id\":\"a\",\"deterministicId\":false}",
            "{\"type\":\"t\",\"unique\":{\"key\":\"k\"}}",
            "{\"type\":\"t\",\"unique\":{\"by\":\"name\"}}",
            "{\"type\":\"t\",\"unique\":{\"by\":\"key\",\"key\":\"k\",\"reuse\":\"NEVER\"}}",
            "{\"type\":\"t\",\"unique\":{\"by\":\"args\",\"states\":[\"DONE\"]}}",
            "{\"type\":\"t\",\"unique\":{\"by\":\"key\",\"key\":\"k\",\"extra\":1}}");
    for (String body : bad) {
      assertThat(schemas.errors(job, JSON.readTree(body), false)).as(body).isNotEmpty();
      call("POST", "/v1/jobs", "/v1/jobs", body, Map.of(), 400);
    }
    Map<String, List<String>> refused =
        Map.of(
            "POST /v1/workers/claim",
            List.of(
                "{\"queues\":[],\"workerId\":\"w\"}",
                "{\"queues\":[\"q\"]}",
                "{\"queues\":[\"q\"],\"workerId\":\"w\",\"limit\":101}"),
            "POST /v1/records/claim",
            List.of(
                "{\"payload\":1}",
                "{\"key\":\"" + "k".repeat(513) + "\"}",
                "{\"key\":\"k\",\"ttl\":30}"),
            "POST /v1/records/complete",
            List.of("{\"key\":\"k\",\"token\":1}", "{\"key\":\"k\",\"token\":-1,\"result\":1}"),
            "POST /v1/records/fail",
            List.of(
                "{\"key\":\"k\",\"token\":1}",
                "{\"key\":\"k\",\"token\":1,\"error\":{\"code\":1}}"),
            "POST /v1/locks/{name}/acquire",
            List.of(
                "{\"owner\":\"o\"}",
                "{\"lease\":\"PT1M\"}",
                "{\"owner\":\"o\",\"lease\":\"PT1M\",\"ttl\":\"PT1M\"}"));
    for (Map.Entry<String, List<String>> e : refused.entrySet()) {
      JsonNode schema = requestSchema(e.getKey());
      String method = e.getKey().substring(0, e.getKey().indexOf(' '));
      String path = e.getKey().substring(e.getKey().indexOf(' ') + 1);
      for (String body : e.getValue()) {
        assertThat(schemas.errors(schema, JSON.readTree(body), false)).as(body).isNotEmpty();
        call(
            method,
            path,
            sample(path, operations().get(e.getKey())),
            body,
            Map.of("Idempotency-Key", "k-" + body.hashCode()),
            400);
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** "METHOD /path" of every HTTP route Javalin has ({@code <p>} written {@code {p}}). */
  private Set<String> routes() {
    Set<String> out = new TreeSet<>();
    for (var parsed : server.app().unsafeConfig().pvt.internalRouter.allHttpHandlers()) {
      Endpoint e = parsed.getEndpoint();
      HandlerType m = e.getMethod();
      if (!m.isHttpMethod() || m == HandlerType.HEAD || m == HandlerType.OPTIONS) {
        continue;
      }
      String path = e.getPath().replaceAll("<([^>/]+)>", "{$1}");
      assertThat(out.add(m.name() + " " + path)).as("registered once: %s %s", m, path).isTrue();
    }
    return out;
  }

  /** The documented operations by "METHOD /path". */
  private Map<String, JsonNode> operations() {
    Map<String, JsonNode> out = new TreeMap<>();
    doc.path("paths")
        .fields()
        .forEachRemaining(
            p ->
                p.getValue()
                    .fields()
                    .forEachRemaining(
                        o -> {
                          assertThat(METHODS)
                              .as("a method under %s", p.getKey())
                              .contains(o.getKey());
                          out.put(
                              o.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey(), o.getValue());
                        }));
    return out;
  }

  private List<JsonNode> parameters(JsonNode op) {
    List<JsonNode> out = new ArrayList<>();
    op.path("parameters").forEach(p -> out.add(schemas.resolve(p)));
    return out;
  }

  private JsonNode requestSchema(String operation) {
    JsonNode op = operations().get(operation);
    assertThat(op).as(operation).isNotNull();
    return op.path("requestBody").path("content").path("application/json").path("schema");
  }

  /** {@code path} with each parameter replaced by a value that fits it. */
  private String sample(String path, JsonNode op) {
    Map<String, String> values = new HashMap<>();
    for (JsonNode p : parameters(op)) {
      JsonNode s = schemas.resolve(p.path("schema"));
      String v = s.has("enum") ? s.get("enum").get(0).asText() : "x";
      if (p.path("name").asText().equals("scope")) {
        v = "global";
      }
      values.put(p.path("name").asText(), v);
    }
    Matcher m = PATH_PARAM.matcher(path);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, values.getOrDefault(m.group(1), "x"));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private HttpResponse<String> send(
      String method, String path, @Nullable String body, Map<String, String> headers)
      throws Exception {
    Map<String, String> h = new HashMap<>(headers);
    h.values().removeIf(String::isEmpty); // "": leave the header out
    return ServerTesting.send(server, method, path, body, h);
  }

  /**
   * Sends {@code method path} (of the documented operation {@code method template}, with the API
   * key unless {@code headers} say otherwise), expects {@code status}, checks the answer against
   * the document and answers its JSON body.
   */
  private JsonNode call(
      String method,
      String template,
      String path,
      @Nullable String body,
      Map<String, String> headers,
      int status)
      throws Exception {
    HttpResponse<String> r = raw(method, template, path, body, headers, status);
    boolean json = base(r.headers().firstValue("Content-Type").orElse("")).endsWith("json");
    return json ? parseJson(r) : JSON.nullNode();
  }

  /**
   * Sends a request twice with the Idempotency-Key {@code key}: the second answer is the first,
   * replayed (status, body and {@code Idempotent-Replayed: true}), and both fit the document.
   */
  private void replayed(
      String method, String template, String path, String body, String key, int status)
      throws Exception {
    Map<String, String> h = Map.of("Idempotency-Key", key);
    HttpResponse<String> first = raw(method, template, path, body, h, status);
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
    HttpResponse<String> second = raw(method, template, path, body, h, status);
    assertThat(second.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(parseJson(second)).isEqualTo(parseJson(first));
  }

  private HttpResponse<String> raw(
      String method,
      String template,
      String path,
      @Nullable String body,
      Map<String, String> headers,
      int status)
      throws Exception {
    String name = method + " " + template;
    JsonNode op = operations().get(name);
    assertThat(op).as("documented: %s", name).isNotNull();
    if (body != null && status < 300) {
      JsonNode schema = requestSchema(name);
      assertThat(schemas.errors(schema, JSON.readTree(body), false))
          .as("request body of %s fits the document: %s", name, body)
          .isEmpty();
    }
    Map<String, String> h = new HashMap<>();
    if (template.startsWith("/v1/")) {
      h.put("X-Api-Key", KEY);
    }
    h.putAll(headers);
    HttpResponse<String> r = send(method, path, body, h);
    checkAnswer(name, r, status);
    return r;
  }

  private void checkAnswer(String name, HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).as("status of %s: %s", name, r.body()).isEqualTo(status);
    JsonNode op = operations().get(name);
    JsonNode response = op.path("responses").get(String.valueOf(status));
    assertThat(response).as("%s documents %s", name, status).isNotNull();
    response = schemas.resolve(response);
    Set<String> documentedHeaders = new LinkedHashSet<>();
    response.path("headers").fieldNames().forEachRemaining(documentedHeaders::add);
    for (String header : List.of("Idempotent-Replayed", "WWW-Authenticate", "Location")) {
      if (r.headers().firstValue(header).isPresent()) {
        assertThat(documentedHeaders)
            .as("%s %s documents the header", name, status)
            .contains(header);
      }
    }
    if (status < 400) {
      answered.add(name);
    }
    JsonNode content = response.path("content");
    if (content.isMissingNode() || content.isEmpty()) {
      return;
    }
    String type = base(r.headers().firstValue("Content-Type").orElse(""));
    JsonNode media = null;
    for (Iterator<String> it = content.fieldNames(); it.hasNext(); ) {
      String t = it.next();
      if (base(t).equals(type)) {
        media = content.get(t);
      }
    }
    assertThat(media).as("%s %s documents the content type %s", name, status, type).isNotNull();
    if (type.endsWith("json")) {
      JsonNode body = parseJson(r);
      List<String> errors = schemas.errors(media.path("schema"), body, true);
      assertThat(errors).as("%s %s answer %s", name, status, body).isEmpty();
    }
  }

  private static JsonNode parseJson(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  private static String base(String contentType) {
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi))
        .trim()
        .toLowerCase(Locale.ROOT);
  }
}
