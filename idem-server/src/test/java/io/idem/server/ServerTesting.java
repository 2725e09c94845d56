package io.idem.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A small HTTP client for server tests. */
final class ServerTesting {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ServerTesting() {}

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
