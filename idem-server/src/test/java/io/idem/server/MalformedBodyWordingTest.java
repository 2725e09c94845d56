package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The refusals of a malformed body, word for word: the field and the detail of each 400, on the
 * jobs routes (read by {@code JobJson}) and on the records and locks routes (read by {@code
 * JsonFields}). The two readers share one strict reading; where their words differ (a blank body, a
 * number's kind, an infinite number, an object's key) each keeps its own.
 */
class MalformedBodyWordingTest {

  static final String KEY = "key-a-0123456789abcdef";

  static final String EMPTY = "the request body must be a JSON object, but was empty";

  @TempDir static Path dir;
  static IdemServer server;
  static TenantApi api;

  @BeforeAll
  static void start() {
    server =
        IdemServer.start(ServerConfig.builder().port(0).dataDir(dir).apiKey(KEY, "acme").build());
    api = new TenantApi(server, KEY);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static final List<String> JOB_ROUTES = List.of("/v1/jobs", "/v1/jobs/batch", "/v1/workers/claim");
  static final List<String> FIELD_ROUTES = List.of("/v1/records/claim", "/v1/locks/l1/acquire");

  /** (route, what, body, field, detail): the same structural breaks on every route. */
  static Stream<Arguments> structural() {
    List<Arguments> out = new ArrayList<>();
    for (String route : JOB_ROUTES) {
      out.addAll(breaks(route, true));
    }
    for (String route : FIELD_ROUTES) {
      out.addAll(breaks(route, false));
    }
    return out.stream();
  }

  private static List<Arguments> breaks(String route, boolean jobs) {
    return List.of(
        Arguments.of(route, "empty", bytes(""), "body", EMPTY),
        Arguments.of(
            route,
            "blank",
            bytes("  \n "),
            "body",
            jobs ? EMPTY : "the request body must be a JSON object, but was blank"),
        Arguments.of(
            route,
            "invalid UTF-8",
            new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xff, (byte) 0xfe, '"', '}'},
            "body",
            "the request body is not valid UTF-8"),
        Arguments.of(
            route,
            "a duplicate member",
            bytes("{\"a\":1,\"a\":2}"),
            "body",
            "malformed JSON: Duplicate field 'a'"),
        Arguments.of(
            route,
            "an array",
            bytes("[]"),
            "body",
            "the request body must be a JSON object, but was an array"),
        Arguments.of(
            route,
            "null",
            bytes("null"),
            "body",
            "the request body must be a JSON object, but was null"),
        Arguments.of(
            route,
            "a number",
            bytes("5"),
            "body",
            "the request body must be a JSON object, but was "
                + (jobs ? "a number (5)" : "a number")));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("structural")
  void aBrokenBodyIsRefusedInTheRoutesWords(
      String route, String what, byte[] body, String field, String detail) throws Exception {
    TenantApi.Answer a = post(route, body);
    a.problem(400, field);
    assertThat(a.text("detail")).isEqualTo(detail);
  }

  @Test
  void jacksonsOwnMessagesAreTheSameOnEveryRoute() throws Exception {
    for (String body : List.of("{", "{} []", "{\"a\":tru}")) {
      List<String> details = new ArrayList<>();
      for (String route : Stream.concat(JOB_ROUTES.stream(), FIELD_ROUTES.stream()).toList()) {
        TenantApi.Answer a = post(route, bytes(body));
        a.problem(400, "body");
        assertThat(a.text("detail")).startsWith("malformed JSON: ");
        details.add(a.text("detail"));
      }
      assertThat(details).as(body).containsOnly(details.get(0));
    }
  }

  /** (route, body with X where the bad value goes, field, the three details). */
  static Stream<Arguments> unstorable() {
    return Stream.of(
        Arguments.of(
            "/v1/jobs",
            "{\"type\":\"t\",\"args\":X}",
            "args",
            List.of(
                "args has a number too large to keep: Infinity",
                "args has a text with an unpaired surrogate",
                "args has a member name with an unpaired surrogate")),
        Arguments.of(
            "/v1/jobs/batch",
            "{\"jobs\":[{\"type\":\"t\",\"args\":X}]}",
            "jobs[0].args",
            List.of(
                "jobs[0].args has a number too large to keep: Infinity",
                "jobs[0].args has a text with an unpaired surrogate",
                "jobs[0].args has a member name with an unpaired surrogate")),
        Arguments.of(
            "/v1/records/claim",
            "{\"key\":\"k1\",\"payload\":X}",
            "payload",
            List.of(
                "payload has a number too large to keep: \"Infinity\"",
                "payload has a text with an unpaired surrogate",
                "payload has a field name with an unpaired surrogate")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unstorable")
  void aValueThatCannotBeKeptIsRefusedInTheRoutesWords(
      String route, String template, String field, List<String> details) throws Exception {
    List<String> values =
        List.of(
            "{\"x\":[1,{\"y\":1e400}]}", "{\"x\":[\"ok\",\"\\ud800\"]}", "{\"x\":{\"\\udc00\":1}}");
    for (int i = 0; i < values.size(); i++) {
      TenantApi.Answer a = post(route, bytes(template.replace("X", values.get(i))));
      a.problem(400, field);
      assertThat(a.text("detail")).isEqualTo(details.get(i));
    }
  }

  private static TenantApi.Answer post(String route, byte[] body) throws Exception {
    return api.sendBytes(
        "POST", route, body, Map.of("Idempotency-Key", "wording-" + System.nanoTime()));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
