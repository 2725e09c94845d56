package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.idem.job.JobQuery;
import io.idem.job.JobState;
import io.idem.testkit.SettableClock;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jobs API through the real HTTP server, on SQLite. */
class JobRoutesTest {

  static final String KEY_A = "key-a-0123456789abcdef";

  @TempDir Path dir;
  private final SettableClock clock = SettableClock.create();
  private IdemServer server;
  private JobApi api;

  @BeforeEach
  void start() {
    server = ServerTesting.start(dir, clock, KEY_A, "acme");
    api = new JobApi(server, KEY_A);
  }

  @AfterEach
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

  // ---- enqueue --------------------------------------------------------------------------------

  @Test
  void enqueueAnswers201WithTheJobAndArgsAsJson() throws Exception {
    JobApi.Answer a =
        api.enqueue(
                "{\"type\":\"email.send\",\"args\":{\"to\":\"a@b.c\",\"n\":[1,2]},"
                    + "\"queue\":\"mail\",\"priority\":5,\"maxAttempts\":3,\"timeout\":\"PT1M\"}")
            .expect(201);
    assertThat(a.text("outcome")).isEqualTo("ENQUEUED");
    JsonNode job = a.job();
    assertThat(job.get("type").asText()).isEqualTo("email.send");
    assertThat(job.get("queue").asText()).isEqualTo("mail");
    assertThat(job.get("priority").asInt()).isEqualTo(5);
    assertThat(job.get("maxAttempts").asInt()).isEqualTo(3);
    assertThat(job.get("state").asText()).isEqualTo("QUEUED");
    assertThat(job.get("timeout").asText()).isEqualTo("PT1M");
    assertThat(job.get("args").isObject()).isTrue();
    assertThat(job.get("args").get("to").asText()).isEqualTo("a@b.c");
    assertThat(job.get("args").get("n").get(1).asInt()).isEqualTo(2);
    assertThat(Instant.parse(job.get("createdAt").asText())).isEqualTo(clock.instant());

    JobApi.Answer got = api.get("/v1/jobs/" + job.get("id").asText()).expect(200);
    assertThat(got.body().get("args")).isEqualTo(job.get("args"));
    assertThat(got.body().get("result").isNull()).isTrue();
  }

  @Test
  void aDuplicateIsA409ProblemWithTheExistingJobAndThePendingSummary() throws Exception {
    JobApi.Answer first =
        api.enqueue(
                "{\"type\":\"email.process\",\"args\":{\"u\":1},"
                    + "\"unique\":{\"by\":\"entity\",\"entity\":\"user\",\"entityId\":123}}")
            .expect(201);
    JobApi.Answer dup =
        api.enqueue(
                "{\"type\":\"email.process\",\"args\":{\"u\":2},"
                    + "\"unique\":{\"by\":\"entity\",\"entity\":\"user\",\"entityId\":\"123\"}}")
            .expect(409);
    assertThat(dup.isProblem()).isTrue();
    assertThat(dup.text("outcome")).isEqualTo("REJECTED");
    assertThat(dup.job().get("id")).isEqualTo(first.job().get("id"));
    assertThat(dup.job().get("uniqueKey").asText()).isEqualTo("email.process:user=123");
    assertThat(dup.text("detail")).contains("email.process:user=123");
    JsonNode pending = dup.body().get("pending");
    assertThat(pending.get("uniqueKey").asText()).isEqualTo("email.process:user=123");
    assertThat(pending.get("queued").asLong()).isEqualTo(1);
    assertThat(pending.get("running").asLong()).isZero();
    assertThat(jobsInStore()).isEqualTo(1);

    JobApi.Answer p = api.get("/v1/jobs/pending?uniqueKey=email.process:user%3D123").expect(200);
    assertThat(p.body().get("queued").asLong()).isEqualTo(1);
    assertThat(
            server.context().metrics().recent("acme").stream()
                .anyMatch(e -> e.what().equals("conflict") && e.kind().equals("job")))
        .isTrue();
  }

  @Test
  void replaceRewritesTheWaitingJobAndIgnoreAnswersTheExistingOneWith200() throws Exception {
    String id =
        api.enqueue(
                "{\"type\":\"digest\",\"args\":{\"v\":1},\"delay\":\"PT1H\","
                    + "\"unique\":{\"by\":\"key\",\"key\":\"d1\",\"onConflict\":\"replace\"}}")
            .expect(201)
            .job()
            .get("id")
            .asText();
    JobApi.Answer replaced =
        api.enqueue(
                "{\"type\":\"digest\",\"args\":{\"v\":2},\"delay\":\"PT2H\","
                    + "\"unique\":{\"by\":\"key\",\"key\":\"d1\",\"onConflict\":\"replace\"}}")
            .expect(200);
    assertThat(replaced.text("outcome")).isEqualTo("REPLACED");
    assertThat(replaced.job().get("id").asText()).isEqualTo(id);
    assertThat(replaced.job().get("args").get("v").asInt()).isEqualTo(2);
    assertThat(replaced.job().get("state").asText()).isEqualTo("SCHEDULED");

    JobApi.Answer ignored =
        api.enqueue(
                "{\"type\":\"digest\",\"args\":{\"v\":3},"
                    + "\"unique\":{\"by\":\"key\",\"key\":\"d1\",\"onConflict\":\"IGNORE\"}}")
            .expect(200);
    assertThat(ignored.text("outcome")).isEqualTo("IGNORED");
    assertThat(ignored.job().get("args").get("v").asInt()).isEqualTo(2);
    assertThat(jobsInStore()).isEqualTo(1);
  }

  @Test
  void uniqueByArgsFieldsAndPeriodAndDeterministicIds() throws Exception {
    String body =
        "{\"type\":\"report\",\"args\":{\"user\":7,\"noise\":%d},\"deterministicId\":true,"
            + "\"unique\":{\"by\":\"args\",\"fields\":[\"user\"],\"period\":\"P1D\","
            + "\"reuse\":\"reject\"}}";
    JobApi.Answer a = api.enqueue(String.format(body, 1)).expect(201);
    JobApi.Answer b = api.enqueue(String.format(body, 2)).expect(409);
    assertThat(b.job().get("id")).isEqualTo(a.job().get("id"));
    assertThat(a.job().get("uniqueKey").asText()).startsWith("report:args=").contains("@");
    assertThat(a.job().get("uniqueStates").toString()).contains("SUCCEEDED", "DEAD");
  }

  @Test
  void anExplicitIdIsAConflictInAnyState() throws Exception {
    api.enqueue("{\"type\":\"t\",\"id\":\"order-1\"}").expect(201);
    JobApi.Answer dup = api.enqueue("{\"type\":\"t\",\"id\":\"order-1\"}").expect(409);
    assertThat(dup.text("detail")).contains("order-1");
    assertThat(dup.body().has("pending")).isFalse();
    api.get("/v1/jobs/order-1").expect(200);
  }

  @Test
  void theIdempotencyKeyHeaderReplaysTheFirstAnswer() throws Exception {
    Map<String, String> h = Map.of("Idempotency-Key", "req-1");
    JobApi.Answer first = api.post("/v1/jobs", "{\"type\":\"t\",\"args\":{\"a\":1}}", h);
    first.expect(201);
    assertThat(first.raw().headers().firstValue("Idempotent-Replayed")).isEmpty();
    JobApi.Answer again = api.post("/v1/jobs", "{\"type\":\"t\",\"args\":{\"a\":1}}", h);
    again.expect(201);
    assertThat(again.raw().headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(again.job().get("id")).isEqualTo(first.job().get("id"));
    assertThat(jobsInStore()).isEqualTo(1);

    api.post("/v1/jobs", "{\"type\":\"t\",\"args\":{\"a\":2}}", h).expect(422);
    assertThat(jobsInStore()).isEqualTo(1);
  }

  // ---- batch ----------------------------------------------------------------------------------

  @Test
  void aBatchAnswersOneResultPerJobInOrder() throws Exception {
    JobApi.Answer a =
        api.post(
                "/v1/jobs/batch",
                "{\"jobs\":["
                    + JobApi.uniqueJob("t", "k1")
                    + ","
                    + JobApi.uniqueJob("t", "k2")
                    + ","
                    + JobApi.uniqueJob("t", "k1")
                    + "]}")
            .expect(200);
    JsonNode results = a.body().get("results");
    assertThat(results).hasSize(3);
    assertThat(results.get(0).get("outcome").asText()).isEqualTo("ENQUEUED");
    assertThat(results.get(1).get("outcome").asText()).isEqualTo("ENQUEUED");
    assertThat(results.get(2).get("outcome").asText()).isEqualTo("REJECTED");
    assertThat(results.get(2).get("job").get("id")).isEqualTo(results.get(0).get("job").get("id"));
    assertThat(results.get(2).get("pending").get("queued").asLong()).isEqualTo(1);
    assertThat(jobsInStore()).isEqualTo(2);
  }

  @Test
  void aBadBatchNamesTheJobAndWritesNothing() throws Exception {
    JobApi.Answer a =
        api.post("/v1/jobs/batch", "{\"jobs\":[{\"type\":\"t\"},{\"type\":\"t\",\"delay\":1}]}")
            .expect(400);
    assertThat(a.text("field")).isEqualTo("jobs[1].delay");
    api.post("/v1/jobs/batch", "{\"jobs\":[]}").expect(400);
    api.post("/v1/jobs/batch", "{\"jobs\":{}}").expect(400);
    api.post("/v1/jobs/batch", "{\"jobs\":[1]}").expect(400);
    StringBuilder many = new StringBuilder("{\"jobs\":[");
    for (int i = 0; i < 1001; i++) {
      many.append(i == 0 ? "" : ",").append("{\"type\":\"t\"}");
    }
    JobApi.Answer tooMany = api.post("/v1/jobs/batch", many.append("]}").toString()).expect(400);
    assertThat(tooMany.text("detail")).contains("1001");
    assertThat(jobsInStore()).isZero();
  }

  // ---- reading, listing -----------------------------------------------------------------------

  @Test
  void anUnknownJobIsA404Problem() throws Exception {
    JobApi.Answer a = api.get("/v1/jobs/nope").expect(404);
    assertThat(a.isProblem()).isTrue();
    assertThat(a.text("detail")).contains("nope");
    api.post("/v1/jobs/nope/cancel", null).expect(404);
    api.post("/v1/jobs/nope/retry", null).expect(404);
  }

  @Test
  void listsFilterAndPage() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(api.enqueue("{\"type\":\"a\"}").expect(201).job().get("id").asText());
    }
    api.enqueue("{\"type\":\"b\",\"queue\":\"q2\",\"delay\":\"PT1H\"}").expect(201);

    JobApi.Answer all = api.get("/v1/jobs").expect(200);
    assertThat(all.body().get("jobs")).hasSize(6);
    assertThat(all.body().get("next").isNull()).isTrue();

    JobApi.Answer page1 = api.get("/v1/jobs?type=a&limit=3").expect(200);
    assertThat(page1.body().get("jobs")).hasSize(3);
    String next = page1.text("next");
    JobApi.Answer page2 = api.get("/v1/jobs?type=a&limit=3&after=" + next).expect(200);
    assertThat(page2.body().get("jobs")).hasSize(2);
    List<String> seen = new ArrayList<>();
    page1.body().get("jobs").forEach(j -> seen.add(j.get("id").asText()));
    page2.body().get("jobs").forEach(j -> seen.add(j.get("id").asText()));
    assertThat(seen).containsExactlyInAnyOrderElementsOf(ids);

    assertThat(api.get("/v1/jobs?state=SCHEDULED").expect(200).body().get("jobs")).hasSize(1);
    assertThat(api.get("/v1/jobs?state=queued&state=RUNNING").expect(200).body().get("jobs"))
        .hasSize(5);
    assertThat(api.get("/v1/jobs?state=QUEUED,SCHEDULED&queue=q2").body().get("jobs")).hasSize(1);
  }

  @Test
  void longAndEncodedIdsWorkInPathsAndCursors() throws Exception {
    String longId = "j".repeat(255);
    api.enqueue("{\"type\":\"t\",\"id\":\"" + longId + "\"}").expect(201);
    api.enqueue("{\"type\":\"t\",\"id\":\"order 1 é\"}").expect(201);
    assertThat(api.get("/v1/jobs/" + longId).expect(200).text("id")).isEqualTo(longId);
    assertThat(api.get("/v1/jobs/order%201%20%C3%A9").expect(200).text("id"))
        .isEqualTo("order 1 é");
    JobApi.Answer page1 = api.get("/v1/jobs?limit=1").expect(200);
    String next = page1.text("next");
    JobApi.Answer page2 =
        api.get("/v1/jobs?limit=1&after=" + java.net.URLEncoder.encode(next, "UTF-8")).expect(200);
    assertThat(page2.body().get("jobs")).hasSize(1);
    assertThat(page2.body().get("jobs").get(0).get("id"))
        .isNotEqualTo(page1.body().get("jobs").get(0).get("id"));
  }

  @Test
  void aBatchHonoursTheIdempotencyKey() throws Exception {
    Map<String, String> h = Map.of("Idempotency-Key", "batch-1");
    String body = "{\"jobs\":[{\"type\":\"t\"},{\"type\":\"u\"}]}";
    JobApi.Answer first = api.post("/v1/jobs/batch", body, h).expect(200);
    JobApi.Answer again = api.post("/v1/jobs/batch", body, h).expect(200);
    assertThat(again.raw().headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(jobsInStore()).isEqualTo(2);
  }

  @Test
  void badListParametersAre400NamingTheParameter() throws Exception {
    assertThat(api.get("/v1/jobs?state=DONE").expect(400).text("field")).isEqualTo("state");
    assertThat(api.get("/v1/jobs?limit=0").expect(400).text("field")).isEqualTo("limit");
    assertThat(api.get("/v1/jobs?limit=1001").expect(400).text("field")).isEqualTo("limit");
    assertThat(api.get("/v1/jobs?limit=ten").expect(400).text("field")).isEqualTo("limit");
    assertThat(api.get("/v1/jobs?after=xyz").expect(400).text("field")).isEqualTo("after");
    assertThat(api.get("/v1/jobs?type=a&type=b").expect(400).text("field")).isEqualTo("type");
    assertThat(api.get("/v1/jobs?states=QUEUED").expect(400).text("field")).isEqualTo("states");
    assertThat(api.get("/v1/jobs/pending").expect(400).text("field")).isEqualTo("uniqueKey");
    assertThat(api.get("/v1/jobs?type=a%20b").expect(200)).isNotNull(); // well-formed encoding
  }

  // ---- cancel, retry, stats -------------------------------------------------------------------

  @Test
  void cancelAndRetry() throws Exception {
    String id = api.enqueue(JobApi.uniqueJob("t", "c1")).expect(201).job().get("id").asText();
    JobApi.Answer retryQueued = api.post("/v1/jobs/" + id + "/retry", null).expect(409);
    assertThat(retryQueued.text("state")).isEqualTo("QUEUED");
    assertThat(retryQueued.text("detail")).contains("QUEUED");

    JobApi.Answer cancelled = api.post("/v1/jobs/" + id + "/cancel", null).expect(200);
    assertThat(cancelled.text("state")).isEqualTo("CANCELLED");
    api.post("/v1/jobs/" + id + "/cancel", null).expect(200);

    // another job takes the key; the retry would give it a second holder
    String other = api.enqueue(JobApi.uniqueJob("t", "c1")).expect(201).job().get("id").asText();
    JobApi.Answer conflict = api.post("/v1/jobs/" + id + "/retry", null).expect(409);
    assertThat(conflict.body().get("holder").get("id").asText()).isEqualTo(other);
    assertThat(conflict.text("detail")).contains(other);

    api.post("/v1/jobs/" + other + "/cancel", null).expect(200);
    JobApi.Answer retried = api.post("/v1/jobs/" + id + "/retry", null).expect(200);
    assertThat(retried.text("state")).isEqualTo("QUEUED");
  }

  @Test
  void cancellingAFinishedJobIsA409() throws Exception {
    String id = api.enqueue("{\"type\":\"t\"}").expect(201).job().get("id").asText();
    JsonNode claimed =
        api.post("/v1/workers/claim", "{\"queues\":[\"default\"],\"workerId\":\"w\"}")
            .expect(200)
            .body()
            .get("jobs")
            .get(0);
    api.post("/v1/jobs/" + id + "/complete", "{\"token\":" + claimed.get("token") + "}")
        .expect(200);
    JobApi.Answer a = api.post("/v1/jobs/" + id + "/cancel", null).expect(409);
    assertThat(a.text("state")).isEqualTo("SUCCEEDED");
  }

  @Test
  void statsCountByStateTypeAndDuplicates() throws Exception {
    api.enqueue(JobApi.uniqueJob("a", "k")).expect(201);
    api.enqueue(JobApi.uniqueJob("a", "k")).expect(409);
    api.enqueue(JobApi.uniqueJob("a", "k")).expect(409);
    api.enqueue("{\"type\":\"b\",\"delay\":\"PT1H\"}").expect(201);
    JsonNode s = api.get("/v1/jobs/stats").expect(200).body();
    assertThat(s.get("byState").get("QUEUED").asLong()).isEqualTo(1);
    assertThat(s.get("byState").get("SCHEDULED").asLong()).isEqualTo(1);
    assertThat(s.get("byType").get("a").get("QUEUED").asLong()).isEqualTo(1);
    assertThat(s.get("duplicatesPrevented").get("a:key=k").asLong()).isEqualTo(2);
    assertThat(s.get("duplicatesPreventedTotal").asLong()).isEqualTo(2);
  }

  // ---- remote workers -------------------------------------------------------------------------

  @Test
  void aRemoteWorkerClaimsHeartbeatsAndCompletes() throws Exception {
    String id =
        api.enqueue("{\"type\":\"py.resize\",\"args\":{\"w\":10},\"queue\":\"img\"}")
            .expect(201)
            .job()
            .get("id")
            .asText();
    api.enqueue("{\"type\":\"other\",\"queue\":\"img\"}").expect(201);
    JobApi.Answer claim =
        api.post(
                "/v1/workers/claim",
                "{\"queues\":[\"img\"],\"types\":[\"py.resize\"],\"workerId\":\"py-1\","
                    + "\"lease\":\"PT10S\",\"limit\":10}")
            .expect(200);
    JsonNode jobs = claim.body().get("jobs");
    assertThat(jobs).hasSize(1);
    JsonNode job = jobs.get(0);
    assertThat(job.get("id").asText()).isEqualTo(id);
    assertThat(job.get("state").asText()).isEqualTo("RUNNING");
    assertThat(job.get("workerId").asText()).isEqualTo("py-1");
    assertThat(job.get("args").get("w").asInt()).isEqualTo(10);
    long token = job.get("token").asLong();
    assertThat(token).isEqualTo(1);

    JobApi.Answer hb =
        api.post("/v1/jobs/" + id + "/heartbeat", "{\"token\":" + token + ",\"lease\":\"PT20S\"}")
            .expect(200);
    assertThat(Instant.parse(hb.text("leaseUntil")))
        .isAfter(Instant.parse(job.get("leaseUntil").asText()));

    JobApi.Answer done =
        api.post(
                "/v1/jobs/" + id + "/complete",
                "{\"token\":" + token + ",\"result\":{\"width\":10,\"ok\":true}}")
            .expect(200);
    assertThat(done.text("state")).isEqualTo("SUCCEEDED");
    assertThat(done.body().get("result").get("width").asInt()).isEqualTo(10);
    // a complete sent again after its answer was lost: the same answer, nothing changed
    JobApi.Answer again =
        api.post(
                "/v1/jobs/" + id + "/complete",
                "{\"token\":" + token + ",\"result\":{\"width\":99}}")
            .expect(200);
    assertThat(again.body().get("result").get("width").asInt()).isEqualTo(10);
    // a heartbeat now: the lease is gone
    JobApi.Answer lost =
        api.post("/v1/jobs/" + id + "/heartbeat", "{\"token\":" + token + "}").expect(409);
    assertThat(lost.isProblem()).isTrue();
    assertThat(lost.text("title")).isEqualTo("Lease lost");
    assertThat(lost.text("state")).isEqualTo("SUCCEEDED");
  }

  @Test
  void retryInCountsFromTheServersClock() throws Exception {
    String id = api.enqueue("{\"type\":\"t\"}").expect(201).job().get("id").asText();
    long token = claimOne("w1").get("token").asLong();
    JobApi.Answer failed =
        api.post(
                "/v1/jobs/" + id + "/fail",
                "{\"token\":" + token + ",\"error\":\"later\",\"retryIn\":\"PT1M\"}")
            .expect(200);
    assertThat(failed.text("state")).isEqualTo("FAILED");
    assertThat(Instant.parse(failed.text("runAt"))).isEqualTo(clock.instant().plusSeconds(60));
    String claim = "{\"queues\":[\"default\"],\"workerId\":\"w2\",\"lease\":\"PT30S\"}";
    clock.advance(java.time.Duration.ofSeconds(59));
    assertThat(api.post("/v1/workers/claim", claim).expect(200).body().get("jobs")).isEmpty();
    clock.advance(java.time.Duration.ofSeconds(1));
    assertThat(claimOne("w2").get("token").asLong()).isEqualTo(token + 1);
  }

  @Test
  void failRetriesLaterOrKillsTheJob() throws Exception {
    String id =
        api.enqueue("{\"type\":\"t\",\"maxAttempts\":2}").expect(201).job().get("id").asText();
    long token = claimOne("w1").get("token").asLong();
    JobApi.Answer failed =
        api.post(
                "/v1/jobs/" + id + "/fail",
                "{\"token\":" + token + ",\"error\":\"boom\\nat line 3\",\"retryIn\":\"PT0S\"}")
            .expect(200);
    assertThat(failed.text("state")).isEqualTo("FAILED");
    assertThat(failed.text("lastError")).isEqualTo("boom\nat line 3");
    // the failed job is due again at once
    long token2 = claimOne("w2").get("token").asLong();
    assertThat(token2).isEqualTo(token + 1);
    // the old token changes nothing
    api.post("/v1/jobs/" + id + "/fail", "{\"token\":" + token + ",\"error\":\"late\"}")
        .expect(409);
    JobApi.Answer dead =
        api.post(
                "/v1/jobs/" + id + "/fail",
                "{\"token\":"
                    + token2
                    + ",\"error\":\""
                    + "e".repeat(5000)
                    + "\",\"retryAt\":\"2030-01-01T00:00:00Z\"}")
            .expect(200);
    assertThat(dead.text("state")).isEqualTo("DEAD");
    assertThat(dead.text("lastError")).hasSize(4003);
    // retry the dead job: queued again
    assertThat(api.post("/v1/jobs/" + id + "/retry", null).expect(200).text("state"))
        .isEqualTo("QUEUED");
  }

  @Test
  void badWorkerRequestsAre400NamingTheField() throws Exception {
    String id = api.enqueue("{\"type\":\"t\"}").expect(201).job().get("id").asText();
    assertThat(api.post("/v1/workers/claim", "{\"workerId\":\"w\"}").expect(400).text("field"))
        .isEqualTo("queues");
    assertThat(
            api.post("/v1/workers/claim", "{\"queues\":[],\"workerId\":\"w\"}")
                .expect(400)
                .text("field"))
        .isEqualTo("queues");
    assertThat(
            api.post("/v1/workers/claim", "{\"queues\":[\"default\"]}").expect(400).text("field"))
        .isEqualTo("workerId");
    assertThat(
            api.post(
                    "/v1/workers/claim",
                    "{\"queues\":[\"default\"],\"workerId\":\"w\",\"limit\":101}")
                .expect(400)
                .text("field"))
        .isEqualTo("limit");
    assertThat(
            api.post(
                    "/v1/workers/claim",
                    "{\"queues\":[\"default\"],\"workerId\":\"w\",\"lease\":\"PT0.1S\"}")
                .expect(400)
                .text("field"))
        .isEqualTo("lease");
    assertThat(
            api.post(
                    "/v1/workers/claim",
                    "{\"queues\":[\"default\"],\"workerId\":\"w\",\"lease\":\"30s\"}")
                .expect(400)
                .text("field"))
        .isEqualTo("lease");
    assertThat(
            api.post("/v1/workers/claim", "{\"queues\":[\"default\", 3],\"workerId\":\"w\"}")
                .expect(400)
                .text("field"))
        .isEqualTo("queues[1]");
    // nothing was claimed by the refused requests
    assertThat(api.get("/v1/jobs/" + id).expect(200).text("state")).isEqualTo("QUEUED");

    assertThat(api.post("/v1/jobs/" + id + "/complete", "{}").expect(400).text("field"))
        .isEqualTo("token");
    assertThat(
            api.post("/v1/jobs/" + id + "/complete", "{\"token\":\"1\"}").expect(400).text("field"))
        .isEqualTo("token");
    assertThat(api.post("/v1/jobs/" + id + "/complete", "{\"token\":-1}").expect(400).text("field"))
        .isEqualTo("token");
    assertThat(api.post("/v1/jobs/" + id + "/fail", "{\"token\":1}").expect(400).text("field"))
        .isEqualTo("error");
    assertThat(
            api.post(
                    "/v1/jobs/" + id + "/fail",
                    "{\"token\":1,\"error\":\"e\",\"retryAt\":\"2030-01-01T00:00:00Z\","
                        + "\"retryIn\":\"PT1S\"}")
                .expect(400)
                .text("field"))
        .isEqualTo("retryIn");
    assertThat(
            api.post("/v1/jobs/" + id + "/heartbeat", "{\"token\":1,\"lease\":\"PT2H\"}")
                .expect(400)
                .text("field"))
        .isEqualTo("lease");
    // a token that never held the job: 409, nothing changed
    api.post("/v1/jobs/" + id + "/complete", "{\"token\":0}").expect(409);
    api.post("/v1/jobs/nope/complete", "{\"token\":1}").expect(404);
    assertThat(api.get("/v1/jobs/" + id).expect(200).text("state")).isEqualTo("QUEUED");
  }

  private JsonNode claimOne(String worker) throws Exception {
    JsonNode jobs =
        api.post(
                "/v1/workers/claim",
                "{\"queues\":[\"default\"],\"workerId\":\"" + worker + "\",\"lease\":\"PT30S\"}")
            .expect(200)
            .body()
            .get("jobs");
    assertThat(jobs).hasSize(1);
    return jobs.get(0);
  }

  @Test
  void jobStatesAreNamesInEveryAnswer() throws Exception {
    JsonNode job = api.enqueue("{\"type\":\"t\",\"delay\":\"PT5M\"}").expect(201).job();
    assertThat(JobState.valueOf(job.get("state").asText())).isEqualTo(JobState.SCHEDULED);
    assertThat(job.get("uniqueStates").isArray()).isTrue();
  }
}
