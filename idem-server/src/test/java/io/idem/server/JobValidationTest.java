package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.job.JobQuery;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad enqueue is a 400 problem naming the member, stores nothing and leaves its
 * Idempotency-Key unused. One server for all cases.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobValidationTest {

  static final String KEY_A = "key-a-0123456789abcdef";
  static final AtomicInteger KEYS = new AtomicInteger();

  @TempDir static Path dir;
  private IdemServer server;
  private JobApi api;

  @BeforeAll
  void start() {
    server =
        IdemServer.start(ServerConfig.builder().port(0).dataDir(dir).apiKey(KEY_A, "acme").build());
    api = new JobApi(server, KEY_A);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private long jobsInStore() {
    return server
        .context()
        .tenantNamed("acme")
        .jobs()
        .list(JobQuery.all().withLimit(1000))
        .jobs()
        .size();
  }

  static Stream<Arguments> badBodies() {
    return Stream.of(
        Arguments.of("", "body"),
        Arguments.of("[1]", "body"),
        Arguments.of("{\"type\":\"t\"", "body"),
        Arguments.of("{}", "type"),
        Arguments.of("{\"type\":\"t\",\"type\":\"u\"}", "body"),
        Arguments.of("{\"type\":\"t\"} {}", "body"),
        Arguments.of("{\"type\":\"t\",\"args\":{\"n\":1e400}}", "args"),
        Arguments.of("{\"type\":\"t\",\"args\":[\"\\udc00\"]}", "args"),
        Arguments.of(
            "{\"type\":\"t\",\"args\":" + "[".repeat(5000) + "]".repeat(5000) + "}", "body"),
        Arguments.of("{\"type\":5}", "type"),
        Arguments.of("{\"type\":\"  \"}", "type"),
        Arguments.of("{\"type\":\"a\\u0001b\"}", "type"),
        Arguments.of("{\"type\":\"" + "x".repeat(256) + "\"}", "type"),
        Arguments.of("{\"type\":\"t\",\"color\":\"red\"}", "color"),
        Arguments.of("{\"type\":\"t\",\"queue\":\"\"}", "queue"),
        Arguments.of("{\"type\":\"t\",\"priority\":1.5}", "priority"),
        Arguments.of("{\"type\":\"t\",\"priority\":99999999999}", "priority"),
        Arguments.of("{\"type\":\"t\",\"maxAttempts\":0}", "maxAttempts"),
        Arguments.of("{\"type\":\"t\",\"maxAttempts\":\"3\"}", "maxAttempts"),
        Arguments.of("{\"type\":\"t\",\"runAt\":\"tomorrow\"}", "runAt"),
        Arguments.of("{\"type\":\"t\",\"runAt\":\"+20000-01-01T00:00:00Z\"}", "runAt"),
        Arguments.of(
            "{\"type\":\"t\",\"runAt\":\"2030-01-01T00:00:00Z\",\"delay\":\"PT1S\"}", "delay"),
        Arguments.of("{\"type\":\"t\",\"delay\":\"5 minutes\"}", "delay"),
        Arguments.of("{\"type\":\"t\",\"delay\":\"-PT5S\"}", "delay"),
        Arguments.of("{\"type\":\"t\",\"delay\":\"P999999999D\"}", "delay"),
        Arguments.of("{\"type\":\"t\",\"expiresIn\":\"PT0S\"}", "expiresIn"),
        Arguments.of(
            "{\"type\":\"t\",\"expiresIn\":\"PT1S\",\"expiresAt\":\"2030-01-01T00:00:00Z\"}",
            "expiresIn"),
        Arguments.of("{\"type\":\"t\",\"timeout\":\"PT-1S\"}", "timeout"),
        Arguments.of("{\"type\":\"t\",\"id\":\"\"}", "id"),
        Arguments.of("{\"type\":\"t\",\"id\":\"a\",\"deterministicId\":true}", "deterministicId"),
        Arguments.of("{\"type\":\"t\",\"deterministicId\":true}", "deterministicId"),
        Arguments.of("{\"type\":\"t\",\"deterministicId\":\"yes\"}", "deterministicId"),
        Arguments.of("{\"type\":\"t\",\"unique\":\"k\"}", "unique"),
        Arguments.of("{\"type\":\"t\",\"unique\":{}}", "unique.by"),
        Arguments.of("{\"type\":\"t\",\"unique\":{\"by\":\"color\"}}", "unique.by"),
        Arguments.of("{\"type\":\"t\",\"unique\":{\"by\":\"key\"}}", "unique.key"),
        Arguments.of(
            "{\"type\":\"t\",\"unique\":{\"by\":\"key\",\"key\":\"" + "k".repeat(201) + "\"}}",
            "unique.key"),
        Arguments.of(
            "{\"type\":\"" + "t".repeat(250) + "\",\"unique\":{\"by\":\"key\",\"key\":\"kkkkkk\"}}",
            "unique"),
        Arguments.of(
            "{\"type\":\"t\",\"unique\":{\"by\":\"key\",\"key\":\"k\",\"fields\":[\"a\"]}}",
            "unique.fields"),
        Arguments.of(
            "{\"type\":\"t\",\"unique\":{\"by\":\"entity\",\"entity\":\"u\"}}", "unique.entityId"),
        Arguments.of(
            "{\"type\":\"t\",\"unique\":{\"by\":\"entity\",\"entity\":\"u\",\"entityId\":1.5}}",
            "unique.entityId"),
        Arguments.of(
            "{\"type\":\"t\",\"unique\":{\"by\":\"args\",\"fields\":[1]}}", "unique.fields[0]"),
        Arguments.of(
            "{\"type\":\"t\",\"unique\":{\"by\":\"args\",\"fields\":[\" \"]}}", "unique.fields[0]"),
        Arguments.of(
            "{\"type\":\"t\",\"unique\":{\"by\":\"args\",\"period\":\"PT0.5S\"}}", "unique.period"),
        Arguments.of(
            "{\"type\":\"t\",\"unique\":{\"by\":\"args\",\"byQueue\":1}}", "unique.byQueue"),
        Arguments.of(
            "{\"type\":\"t\",\"unique\":{\"by\":\"args\",\"states\":[\"DONE\"]}}",
            "unique.states[0]"),
        Arguments.of(
            "{\"type\":\"t\",\"unique\":{\"by\":\"args\",\"reuse\":\"never\"}}", "unique.reuse"),
        Arguments.of(
            "{\"type\":\"t\",\"unique\":{\"by\":\"args\",\"onConflict\":\"merge\"}}",
            "unique.onConflict"),
        Arguments.of("{\"type\":\"t\",\"unique\":{\"by\":\"args\",\"extra\":1}}", "unique.extra"));
  }

  @ParameterizedTest
  @MethodSource("badBodies")
  void badEnqueuesAre400ProblemsNamingTheFieldAndWriteNothing(String body, String field)
      throws Exception {
    long before = jobsInStore();
    String key = "bad-" + KEYS.incrementAndGet();
    JobApi.Answer a = api.post("/v1/jobs", body, Map.of("Idempotency-Key", key));
    a.expect(400);
    assertThat(a.isProblem()).isTrue();
    assertThat(a.text("field")).isEqualTo(field);
    assertThat(jobsInStore()).isEqualTo(before);
    // the key was not used up: a good request with it runs
    api.post("/v1/jobs", "{\"type\":\"t\"}", Map.of("Idempotency-Key", key)).expect(201);
    assertThat(jobsInStore()).isEqualTo(before + 1);
  }

  @org.junit.jupiter.api.Test
  void invalidUtf8IsRefusedNotReplaced() throws Exception {
    long before = jobsInStore();
    byte[] head = "{\"type\":\"t".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] tail = "\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] body = new byte[head.length + 1 + tail.length];
    System.arraycopy(head, 0, body, 0, head.length);
    body[head.length] = (byte) 0xFF;
    System.arraycopy(tail, 0, body, head.length + 1, tail.length);
    for (String path : java.util.List.of("/v1/jobs", "/v1/workers/claim")) {
      java.net.http.HttpResponse<String> r =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.baseUrl() + path))
                      .header("X-Api-Key", KEY_A)
                      .header("Content-Type", "application/json")
                      .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.body()).contains("UTF-8");
    }
    assertThat(jobsInStore()).isEqualTo(before);
  }
}
