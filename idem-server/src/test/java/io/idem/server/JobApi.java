package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A client of the jobs API for tests: one tenant's API key, answers parsed as JSON. */
final class JobApi {

  static final ObjectMapper JSON = new ObjectMapper();

  /** A status, the headers and the parsed body. */
  record Answer(int status, JsonNode body, HttpResponse<String> raw) {

    Answer expect(int expected) {
      assertThat(status).as("status of %s", raw.body()).isEqualTo(expected);
      return this;
    }

    JsonNode job() {
      return body.get("job");
    }

    String text(String field) {
      return body.path(field).asText();
    }

    boolean isProblem() {
      return raw.headers()
          .firstValue("Content-Type")
          .map(v -> v.startsWith("application/problem+json"))
          .orElse(false);
    }
  }

  private final IdemServer server;
  private final String apiKey;

  JobApi(IdemServer server, String apiKey) {
    this.server = server;
    this.apiKey = apiKey;
  }

  Answer post(String path, @Nullable String body) throws Exception {
    return send("POST", path, body, Map.of());
  }

  Answer post(String path, @Nullable String body, Map<String, String> headers) throws Exception {
    return send("POST", path, body, headers);
  }

  Answer get(String path) throws Exception {
    return send("GET", path, null, Map.of());
  }

  Answer send(String method, String path, @Nullable String body, Map<String, String> headers)
      throws Exception {
    Map<String, String> h = new HashMap<>(headers);
    h.put("X-Api-Key", apiKey);
    HttpResponse<String> r = ServerTesting.send(server, method, path, body, h);
    JsonNode n = r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
    return new Answer(r.statusCode(), n, r);
  }

  /** Enqueues {@code body} and answers the response. */
  Answer enqueue(String body) throws Exception {
    return post("/v1/jobs", body);
  }

  /** {@code {"type": type, "args": args, "unique": {"by": "key", "key": key}}}. */
  static String uniqueJob(String type, String key) {
    return "{\"type\":\"" + type + "\",\"unique\":{\"by\":\"key\",\"key\":\"" + key + "\"}}";
  }
}
