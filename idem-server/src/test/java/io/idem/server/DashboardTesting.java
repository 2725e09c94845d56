package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.Map;

/** Activity through the API for the metrics and dashboard tests: unique jobs, duplicates, locks. */
final class DashboardTesting {

  private DashboardTesting() {}

  /** POSTs an {@code email.welcome} job unique by {@code key} (201); answers its id. */
  static String enqueue(IdemServer server, Map<String, String> auth, String key) throws Exception {
    HttpResponse<String> r = ServerTesting.send(server, "POST", "/v1/jobs", body(key), auth);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return server.context().mapper().readTree(r.body()).path("job").path("id").asText();
  }

  /** POSTs the job, then its duplicate (409: the key is held); answers the job's id. */
  static String enqueueWithDuplicate(IdemServer server, Map<String, String> auth, String key)
      throws Exception {
    String id = enqueue(server, auth, key);
    HttpResponse<String> r = ServerTesting.send(server, "POST", "/v1/jobs", body(key), auth);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
    return id;
  }

  /** Acquires lock {@code name} for {@code owner} for ten minutes (200). */
  static void acquireLock(IdemServer server, Map<String, String> auth, String name, String owner)
      throws Exception {
    Map<String, String> headers = new java.util.HashMap<>(auth);
    headers.put("Idempotency-Key", "acquire-" + name);
    HttpResponse<String> r =
        ServerTesting.send(
            server,
            "POST",
            "/v1/locks/" + name + "/acquire",
            "{\"owner\":\"" + owner + "\",\"lease\":\"PT10M\"}",
            headers);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private static String body(String key) {
    return "{\"type\":\"email.welcome\",\"args\":{\"user\":\""
        + key
        + "\"},\"unique\":{\"by\":\"key\",\"key\":\""
        + key
        + "\"}}";
  }
}
