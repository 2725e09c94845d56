package io.idem.server;

import io.idem.testkit.SettableClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Starting servers for tests, and a small HTTP client. */
final class ServerTesting {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ServerTesting() {}

  /**
   * Starts a server on a free port over SQLite in {@code dir}, with {@code clock} as its clock and
   * its ticker (time passes for the server and its stores only when the test moves the clock), and
   * the API keys {@code keysAndTenants}: key, tenant, key, tenant...
   */
  static IdemServer start(Path dir, SettableClock clock, String... keysAndTenants) {
    ServerConfig.Builder b = ServerConfig.builder().port(0).dataDir(dir).clock(clock).ticker(clock);
    for (int i = 0; i + 1 < keysAndTenants.length; i += 2) {
      b.apiKey(keysAndTenants[i], keysAndTenants[i + 1]);
    }
    return IdemServer.start(b.build());
  }

  /** Sends {@code method path} with {@code body} (JSON text, or null) and {@code headers}. */
  static HttpResponse<String> send(
      IdemServer server,
      String method,
      String path,
      @Nullable String body,
      Map<String, String> headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    headers.forEach(b::header);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(IdemServer server, String path, Map<String, String> headers)
      throws IOException, InterruptedException {
    return send(server, "GET", path, null, headers);
  }
}
