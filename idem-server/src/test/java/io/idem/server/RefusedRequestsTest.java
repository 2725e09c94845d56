package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests that Jetty refuses before Javalin routes them (sent as raw bytes over a loopback socket,
 * since an HTTP client would not send them): every answer is problem+json naming what was bad,
 * never Jetty's HTML page or a stack trace, the server keeps answering, and nothing is written:
 * every row of the store (read from its SQLite file) is as it was before.
 */
class RefusedRequestsTest {

  @TempDir static Path dir;
  private static IdemServer server;

  @BeforeAll
  static void start() throws Exception {
    server = IdemServer.start(ServerConfig.builder().port(0).dataDir(dir).build());
    // opens the store of the tenant every request here is (no API keys), so that it can be read
    HttpResponse<String> r = ServerTesting.get(server, "/v1/jobs/stats", Map.of());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** Every row of the store. */
  private static Map<String, List<String>> store() {
    return StoreContents.of(dir, ServerConfig.DEFAULT_TENANT);
  }

  private static void assertNothingWritten(Map<String, List<String>> before) {
    Map<String, List<String>> after = store();
    assertThat(after)
        .as(
            "the rows of the store (per table: before %s, after %s)",
            StoreContents.counts(before), StoreContents.counts(after))
        .isEqualTo(before);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** (name, raw request, status, field or null, a part of the detail). */
  static Stream<Arguments> refused() {
    return Stream.of(
        refusal("an encoded NUL in the path", get("/v1/jobs/a%00b"), 400, "uri", "%00"),
        refusal("a malformed percent-encoding", get("/v1/jobs/%zz"), 400, "uri", "percent"),
        refusal("a truncated percent-encoding", get("/v1/jobs/%4"), 400, "uri", "percent"),
        refusal("a path above the root", get("/../etc/passwd"), 400, "uri", "'..'"),
        // Jetty drops such a query parameter (a filter would silently widen): refused instead
        refusal(
            "an unknown method",
            "FOO /v1/jobs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            405,
            "method",
            "the method FOO is not supported"),
        // declared over the limit and never sent: answered at once, not after the idle timeout
        refusal(
            "a body declared larger than the limit",
            "POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 5000000\r\nConnection: close\r\n\r\n",
            413,
            "body",
            "Content-Length 5000000"),
        refusal(
            "a malformed percent-encoding in the query",
            get("/v1/jobs?state=%zz"),
            400,
            "query",
            "'state' has a malformed percent-encoding"),
        refusal(
            "a truncated percent-encoding in the query",
            get("/v1/jobs?type=a%2"),
            400,
            "query",
            "'type'"),
        refusal("an encoded path above the root", get("/%2e%2e/etc"), 400, "uri", "'..'"),
        refusal(
            "a bad Host",
            "GET /health HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
            400,
            "Host",
            "host[:port]"),
        refusal(
            "two Host headers",
            "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
            400,
            "Host",
            "more than one"),
        refusal(
            "no Host", "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n", 400, "Host", "missing"),
        refusal(
            "a header too long",
            "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Long: "
                + "a".repeat(10_000)
                + "\r\nConnection: close\r\n\r\n",
            431,
            "headers",
            "larger than"),
        refusal("a URI too long", get("/v1/jobs/" + "a".repeat(9_000)), 414, "uri", "longer"),
        refusal(
            "a bad Content-Length",
            "POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n"
                + "Connection: close\r\n\r\n",
            400,
            "Content-Length",
            "Content-Length"),
        refusal(
            "both Content-Length and Transfer-Encoding",
            "POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n",
            400,
            "Transfer-Encoding",
            "Transfer-Encoding"),
        refusal(
            "an unknown expectation",
            "POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nExpect: tea\r\nContent-Length: 2\r\n"
                + "Connection: close\r\n\r\n{}",
            417,
            "Expect",
            "100-continue"),
        refusal(
            "an unknown HTTP version",
            "GET /health HTTP/9.9\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            505,
            "version",
            "HTTP version"),
        refusal(
            "an illegal character in the method",
            "G(ET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            400,
            null,
            "Illegal character"),
        refusal(
            "a header without a colon",
            "GET /health HTTP/1.1\r\nHost: localhost\r\nNoColon\r\nConnection: close\r\n\r\n",
            400,
            null,
            "malformed"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void aRefusedRequestIsAProblemNamingWhatWasBad(
      String name, String request, int status, @Nullable String field, String detail)
      throws Exception {
    Map<String, List<String>> before = store();
    Answer a = send(request);

    assertThat(a.status).as(a.toString()).isEqualTo(status);
    assertProblem(a, status);
    assertThat(a.json().path("detail").asText()).as(a.toString()).contains(detail);
    if (field == null) {
      assertThat(a.json().has("field")).as(a.toString()).isFalse();
    } else {
      assertThat(a.json().path("field").asText()).as(a.toString()).isEqualTo(field);
    }
    assertUp();
    assertNothingWritten(before);
  }

  @Test
  void ambiguousPathsReachRoutingAndAre404Problems() throws Exception {
    Map<String, List<String>> before = store();
    for (String path : List.of("/v1/jobs/%2e%2e/x", "/v1/jobs/a%2Fb", "/v1//jobs", "/v1\\jobs")) {
      Answer a = send(get(path));
      assertThat(a.status).as(a.toString()).isEqualTo(404);
      assertProblem(a, 404);
      assertThat(a.json().path("instance").asText()).isEqualTo(path);
    }
    assertUp();
    assertNothingWritten(before);
  }

  @Test
  void errorsJettyRendersAfterADispatchAreProblemsForEveryMethod() throws Exception {
    server
        .app()
        .put("/test/send-error", ctx -> ctx.res().sendError(409, "the <b>widget</b> is busy"));
    server.app().delete("/test/send-error", ctx -> ctx.res().sendError(500, "secret internals"));

    Answer conflict =
        send(
            "PUT /test/send-error HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n"
                + "Content-Length: 0\r\nConnection: close\r\n\r\n");
    assertThat(conflict.status).as(conflict.toString()).isEqualTo(409);
    assertProblem(conflict, 409);
    assertThat(conflict.json().path("detail").asText()).isEqualTo("the <b>widget</b> is busy");
    assertThat(conflict.json().path("instance").asText()).isEqualTo("/test/send-error");

    Answer failed =
        send("DELETE /test/send-error HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assertThat(failed.status).as(failed.toString()).isEqualTo(500);
    assertProblem(failed, 500);
    assertThat(failed.body).doesNotContain("secret");
    assertThat(failed.json().path("detail").asText()).isEqualTo("the server failed; see its log");
    assertUp();
  }

  @Test
  void theServerKeepsAnsweringWhileRefusingFromSeveralConnections() throws Exception {
    Map<String, List<String>> before = store();
    List<Object[]> requests = new ArrayList<>(); // (name, request, status)
    refused().forEach(a -> requests.add(a.get()));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Answer>> answers = new ArrayList<>();
      List<Object[]> sent = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (Object[] r : requests) {
          answers.add(pool.submit(() -> send((String) r[1])));
          sent.add(r);
        }
      }
      for (int i = 0; i < answers.size(); i++) {
        Answer a = answers.get(i).get(30, TimeUnit.SECONDS);
        int status = (Integer) sent.get(i)[2];
        assertThat(a.status).as("%s: %s", sent.get(i)[0], a).isEqualTo(status);
        assertProblem(a, status);
      }
    } finally {
      pool.shutdownNow();
    }
    assertUp();
    assertNothingWritten(before);
    DashboardTesting.enqueue(server, Map.of(), "still-up");
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static Arguments refusal(
      String name, String request, int status, @Nullable String field, String detail) {
    return Arguments.of(name, request, status, field, detail);
  }

  private static String get(String target) {
    return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  }

  private static void assertProblem(Answer a, int status) throws IOException {
    assertThat(a.headers.get("content-type"))
        .as(a.toString())
        .startsWith("application/problem+json");
    assertThat(a.body).as(a.toString()).doesNotContain("<h1>", "<html", "Exception", "\tat ");
    JsonNode p = a.json();
    assertThat(p.path("type").asText()).isEqualTo("about:blank");
    assertThat(p.path("status").asInt()).isEqualTo(status);
    assertThat(p.path("title").asText()).isNotBlank();
    assertThat(p.path("detail").asText()).isNotBlank();
  }

  private static void assertUp() throws Exception {
    HttpResponse<String> r = ServerTesting.get(server, "/health", Map.of());
    assertThat(r.statusCode()).isEqualTo(200);
  }

  /**
   * Sends {@code request} as it is over a new loopback connection and reads the answer until the
   * server closes it (every request here asks for, or causes, {@code Connection: close}).
   */
  private static Answer send(String request) throws IOException {
    InetAddress loopback = InetAddress.getByName(server.context().config().host());
    assertThat(loopback.isLoopbackAddress()).isTrue();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    try (Socket s = new Socket(loopback, server.port())) {
      s.setSoTimeout(15_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) >= 0; ) {
          got.write(buf, 0, n);
        }
      } catch (SocketException e) {
        // a reset after the answer (the server closed with part of a long request unread)
        if (got.size() == 0) {
          throw e;
        }
      }
    }
    return Answer.parse(got.toString(StandardCharsets.ISO_8859_1));
  }

  /** A raw HTTP/1.1 answer: status, headers (lower-case names), body. */
  private record Answer(int status, Map<String, String> headers, String body) {

    static Answer parse(String raw) {
      int end = raw.indexOf("\r\n\r\n");
      assertThat(end).as("a complete head in: %s", raw).isPositive();
      String[] lines = raw.substring(0, end).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
      byte[] rest = raw.substring(end + 4).getBytes(StandardCharsets.ISO_8859_1);
      String length = headers.get("content-length");
      if (length != null) {
        assertThat(rest.length)
            .as("the whole body in: %s", raw)
            .isEqualTo(Integer.parseInt(length));
      }
      return new Answer(status, headers, new String(rest, StandardCharsets.UTF_8));
    }

    JsonNode json() throws IOException {
      return server.context().mapper().readTree(body);
    }
  }
}
