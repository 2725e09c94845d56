package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.job.JobRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tenant-to-namespace mapping: readable where it can be, never the same for two names, within
 * PostgreSQL's identifier limit; and the refusal, at startup, of two tenants that would still share
 * a namespace (two long names whose 48-bit hashes meet).
 */
class TenantNamespaceTest {

  /** Two valid tenant names whose namespaces are the same (found by a birthday search). */
  static final String COLLIDING_A = "collide-------------x000000012lla";

  static final String COLLIDING_B = "collide-------------x0000000hi9q7";
  static final String COLLIDING_NAMESPACE = "collide" + "_2d".repeat(12) + "_hefffddcb7863";

  static final String KEY_A = "key-a-0123456789abcdef";
  static final String KEY_B = "key-b-0123456789abcdef";

  /** What PostgreSQL accepts as a plain schema name (PostgresSchema's rule). */
  private static final Pattern PG_IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  @TempDir Path dir;

  @Test
  void theDocumentedExamples() {
    assertThat(TenantNamespace.of("acme")).isEqualTo("acme");
    assertThat(TenantNamespace.of("default")).isEqualTo("default");
    assertThat(TenantNamespace.of("team42")).isEqualTo("team42");
    assertThat(TenantNamespace.of("a-b")).isEqualTo("a_2db");
    assertThat(TenantNamespace.of("a_b")).isEqualTo("a_5fb");
    assertThat(TenantNamespace.postgresSchema("a-b")).isEqualTo("idem_a_2db");
    assertThat(TenantNamespace.postgresSchema("a_b")).isEqualTo("idem_a_5fb");
    assertThat(TenantNamespace.redisPrefix("a-b")).isEqualTo("idem:a_2db");
    assertThat(TenantNamespace.cachePrefix("a_b")).isEqualTo("idem-cache:a_5fb");
    assertThat(TenantNamespace.sqliteFile(dir, "a-b")).isEqualTo(dir.resolve("a_2db.db"));
  }

  /**
   * Every name of up to 4 characters is read back from its namespace (so no two names share one),
   * and only names with a character other than a-z, 0-9 change.
   */
  @Test
  void everyShortNameIsReadBackFromItsNamespace() {
    int[] count = {0};
    for (char first = 'a'; first <= 'z'; first++) {
      checkAllFrom(String.valueOf(first), 4, count);
    }
    assertThat(count[0]).isEqualTo(26 + 26 * 38 + 26 * 38 * 38 + 26 * 38 * 38 * 38);
  }

  private static void checkAllFrom(String name, int maxLength, int[] count) {
    String ns = TenantNamespace.of(name);
    boolean plain = name.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
    if (!decode(ns).equals(name) || plain != ns.equals(name)) { // asserted only when wrong: fast
      assertThat(decode(ns)).as(ns).isEqualTo(name);
      assertThat(ns.equals(name)).as("%s is its own namespace", name).isEqualTo(plain);
    }
    count[0]++;
    if (name.length() < maxLength) {
      for (char c : "abcdefghijklmnopqrstuvwxyz0123456789_-".toCharArray()) {
        checkAllFrom(name + c, maxLength, count);
      }
    }
  }

  @Test
  void namespacesFitEveryBackendAndLongNamesAreHashed() {
    Random random = new Random(11);
    String rest = "abcdefghijklmnopqrstuvwxyz0123456789_-";
    Map<String, String> seen = new HashMap<>();
    List<String> names = new ArrayList<>();
    names.add("a" + "-".repeat(39));
    names.add("a" + "_".repeat(39));
    names.add("z" + "9".repeat(39));
    for (int i = 0; i < 50_000; i++) {
      StringBuilder n = new StringBuilder().append((char) ('a' + random.nextInt(26)));
      int length = 1 + random.nextInt(40);
      while (n.length() < length) {
        // many '-' and '_', so that many names are too long to be readable
        n.append(
            random.nextBoolean()
                ? "-_".charAt(random.nextInt(2))
                : rest.charAt(random.nextInt(36)));
      }
      names.add(n.toString());
    }
    int hashed = 0;
    for (String n : names) {
      assertThat(ServerConfig.TENANT.matcher(n).matches()).as(n).isTrue();
      String ns = TenantNamespace.of(n);
      assertThat(ns).as(n).matches("[a-z0-9_]{1,58}");
      assertThat(TenantNamespace.postgresSchema(n)).matches(PG_IDENTIFIER);
      assertThat(
              TenantNamespace.postgresSchema(n).getBytes(java.nio.charset.StandardCharsets.UTF_8))
          .hasSizeLessThanOrEqualTo(63);
      if (ns.contains("_h")) {
        hashed++;
        assertThat(ns).as(n).matches("[a-z0-9_]{0,44}_h[0-9a-f]{12}");
        assertThat(n).startsWith(decode(ns.substring(0, ns.indexOf("_h"))));
      } else {
        assertThat(decode(ns)).as(ns).isEqualTo(n);
      }
      String other = seen.put(ns, n);
      assertThat(other == null || other.equals(n)).as("%s and %s: %s", other, n, ns).isTrue();
    }
    assertThat(hashed).isGreaterThan(1000);
  }

  @Test
  void twoLongNamesThatDifferOnlyByDashAndUnderscoreAfterTheKeptPartHaveTheirOwnNamespaces() {
    String a = "abcdef" + "-".repeat(16) + "tail-end";
    String b = "abcdef" + "-".repeat(16) + "tail_end";
    assertThat(TenantNamespace.of(a)).contains("_h").isNotEqualTo(TenantNamespace.of(b));
    assertThat(TenantNamespace.of(a).substring(0, TenantNamespace.of(a).indexOf("_h")))
        .isEqualTo(TenantNamespace.of(b).substring(0, TenantNamespace.of(b).indexOf("_h")));
  }

  @Test
  void theConfigurationRefusesTwoTenantsThatWouldShareANamespace() {
    assertThat(TenantNamespace.of(COLLIDING_A))
        .isEqualTo(TenantNamespace.of(COLLIDING_B))
        .isEqualTo(COLLIDING_NAMESPACE);

    assertThatThrownBy(
            () ->
                ServerConfig.builder()
                    .dataDir(dir)
                    .apiKey(KEY_A, COLLIDING_A)
                    .apiKey(KEY_B, COLLIDING_B)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(refusal());
    // one tenant with two keys is one namespace, not a collision; names that differ by - and _
    // have their own
    ServerConfig.builder().apiKey(KEY_A, COLLIDING_A).apiKey(KEY_B, COLLIDING_A).build();
    ServerConfig.builder().apiKey(KEY_A, "a-b").apiKey(KEY_B, "a_b").build();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void idemServeRefusesThemInOneLineAndExitsNonZero() throws Exception {
    String[] args = {
      "serve",
      "--port",
      "0",
      "--data",
      dir.toString(),
      "--api-key",
      KEY_A + "=" + COLLIDING_A,
      "--api-key",
      KEY_B + "=" + COLLIDING_B
    };
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cmd = Main.commandLine(args);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));

    int code = cmd.execute(args);

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).isEqualTo(refusal() + System.lineSeparator());
    assertThat(out.toString()).isEmpty();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).as("nothing opened").isEmpty();
    }
  }

  @Test
  void idemJobsFindsATenantsFileByItsNamespace() throws Exception {
    try (Backend backend = new Backend(ServerConfig.builder().dataDir(dir).build())) {
      backend.tenant("a-b").jobs().enqueue(JobRequest.of("only.in.a-b", null));
    }
    assertThat(dir.resolve("a_2db.db")).exists();
    assertThat(dir.resolve("a-b.db")).doesNotExist();

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] dash = {"jobs", "list", "--tenant", "a-b", "--data", dir.toString()};
    picocli.CommandLine cmd = Main.commandLine(dash);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    assertThat(cmd.execute(dash)).as(err.toString()).isZero();
    assertThat(out.toString()).contains("only.in.a-b");

    StringWriter err2 = new StringWriter();
    String[] underscore = {"jobs", "list", "--tenant", "a_b", "--data", dir.toString()};
    picocli.CommandLine cmd2 = Main.commandLine(underscore);
    cmd2.setOut(new PrintWriter(new StringWriter(), true));
    cmd2.setErr(new PrintWriter(err2, true));
    assertThat(cmd2.execute(underscore)).isEqualTo(1);
    assertThat(err2.toString()).contains("no jobs store of tenant 'a_b'", "a_5fb.db");
  }

  private static String refusal() {
    return "tenants '"
        + COLLIDING_A
        + "' and '"
        + COLLIDING_B
        + "' would share the namespace '"
        + COLLIDING_NAMESPACE
        + "' (SQLite file "
        + COLLIDING_NAMESPACE
        + ".db, PostgreSQL schema idem_"
        + COLLIDING_NAMESPACE
        + ", Redis prefix idem:"
        + COLLIDING_NAMESPACE
        + "): rename one of them";
  }

  /** Reads a readable namespace back: each {@code _xx} is the byte 0xxx. */
  private static String decode(String ns) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < ns.length(); i++) {
      char c = ns.charAt(i);
      if (c == '_') {
        bytes.write(Integer.parseInt(ns.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
  }
}
