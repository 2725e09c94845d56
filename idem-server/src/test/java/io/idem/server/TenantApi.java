package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A client of the records, trackers and locks API for tests: one tenant's API key, answers parsed
 * as JSON (problem+json included).
 */
final class TenantApi {

  static final ObjectMapper JSON = new ObjectMapper();

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A status, the headers and the parsed body (a text node when the body is not JSON). */
  record Answer(int status, JsonNode body, HttpResponse<String> raw) {

    Answer expect(int expected) {
      assertThat(status).as("status of %s", raw.body()).isEqualTo(expected);
      return this;
    }

    String text(String field) {
      return body.path(field).asText();
    }

    long number(String field) {
      return body.path(field).asLong();
    }

    boolean isProblem() {
      return raw.headers()
          .firstValue("Content-Type")
          .map(v -> v.startsWith("application/problem+json"))
          .orElse(false);
    }

    /** Asserts a problem+json with {@code status} naming {@code field}. */
    Answer problem(int expected, String field) {
      expect(expected);
      assertThat(isProblem()).as("problem+json: %s", raw.body()).isTrue();
      assertThat(body.path("status").asInt()).isEqualTo(expected);
      if (field != null) {
        assertThat(body.path("field").asText()).as("field of %s", raw.body()).isEqualTo(field);
      }
      return this;
    }

    @Nullable String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  private final IdemServer server;
  private final String apiKey;

  TenantApi(IdemServer server, String apiKey) {
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

  Answer put(String path) throws Exception {
    return send("PUT", path, null, Map.of());
  }

  Answer delete(String path) throws Exception {
    return send("DELETE", path, null, Map.of());
  }

  Answer send(String method, String path, @Nullable String body, Map<String, String> headers)
      throws Exception {
    Map<String, String> h = new HashMap<>(headers);
    h.put("X-Api-Key", apiKey);
    HttpResponse<String> r = ServerTesting.send(server, method, path, body, h);
    return answer(r);
  }

  /** Sends raw bytes as the body (for bodies that are not valid UTF-8). */
  Answer sendBytes(String method, String path, byte[] body, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
            .timeout(Duration.ofSeconds(30))
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
            .header("Content-Type", "application/json")
            .header("X-Api-Key", apiKey);
    headers.forEach(b::header);
    return answer(CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString()));
  }

  private static Answer answer(HttpResponse<String> r) {
    JsonNode n;
    try {
      n = r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
    } catch (Exception e) {
      n = JSON.getNodeFactory().textNode(r.body());
    }
    return new Answer(r.statusCode(), n, r);
  }

  /** {@code value} as JSON text. */
  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
