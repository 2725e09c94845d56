package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's frame: health, tenants by API key, problem+json for unknown routes. */
class IdemServerTest {

  static final String KEY_A = "key-a-0123456789abcdef";

  @TempDir Path dir;
  private IdemServer server;

  @BeforeEach
  void start() {
    server =
        IdemServer.start(ServerConfig.builder().port(0).dataDir(dir).apiKey(KEY_A, "acme").build());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void healthAnswersWithoutAKey() throws Exception {
    HttpResponse<String> r = ServerTesting.get(server, "/health", Map.of());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"status\":\"up\"").contains("SQLITE");
  }

  @Test
  void apiRoutesNeedAKnownKeyAndAnswerProblemJson() throws Exception {
    HttpResponse<String> none = ServerTesting.get(server, "/v1/jobs", Map.of());
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(none.body()).contains("\"status\":401").contains("API key is required");

    HttpResponse<String> wrong =
        ServerTesting.get(server, "/v1/jobs", Map.of("Authorization", "Bearer nope"));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("unknown API key");
  }

  @Test
  void anUnknownRouteIsA404Problem() throws Exception {
    HttpResponse<String> r =
        ServerTesting.get(server, "/v1/nothing-here", Map.of("X-Api-Key", KEY_A));
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).contains("\"title\":\"Not found\"").contains("/v1/nothing-here");
  }

  @Test
  void badConfigurationIsRefusedNamingTheValue() {
    assertThatThrownBy(() -> ServerConfig.builder().apiKey("short", "acme").build())
        .hasMessageContaining("at least 16 characters");
    assertThatThrownBy(() -> ServerConfig.builder().apiKey(KEY_A, "Bad Tenant").build())
        .hasMessageContaining("'Bad Tenant'");
    assertThatThrownBy(() -> ServerConfig.builder().store(ServerConfig.StoreKind.POSTGRES).build())
        .hasMessageContaining("needs a PostgreSQL JDBC URL");
    assertThatThrownBy(() -> ServerConfig.builder().port(70000).build())
        .hasMessageContaining("but was 70000");
  }

  @Test
  void aChunkedBodyIsRefusedBeforeItIsRead() throws Exception {
    java.net.http.HttpRequest req =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(server.baseUrl() + "/v1/records/claim"))
            .header("X-Api-Key", KEY_A)
            .header("Content-Type", "application/json")
            .POST(
                java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream("{\"key\":\"a\"}".getBytes())))
            .build();
    HttpResponse<String> r =
        java.net.http.HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(411);
    assertThat(r.body()).contains("Content-Length");
  }
}
