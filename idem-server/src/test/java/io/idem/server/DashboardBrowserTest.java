package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real headless Chromium: the rendered page shows the job and the duplicate its
 * key prevented, and a screenshot is kept as {@code target/dashboard.png}. Without Chromium the
 * tests are skipped, unless {@code CI=true}, where they fail. {@code IDEM_TEST_CHROMIUM} names
 * another browser binary.
 */
class DashboardBrowserTest {

  static final String KEY_A = "key-a-0123456789abcdef";

  private static Path chromium;

  @TempDir Path dir;
  private IdemServer server;

  @BeforeAll
  static void findChromium() {
    Optional<Path> found = chromium();
    if (found.isEmpty()) {
      String why =
          "headless Chromium is needed for the dashboard's browser test and none was found "
              + "(looked at $IDEM_TEST_CHROMIUM, /usr/bin/chromium and chromium, chromium-browser, "
              + "google-chrome on the PATH); install it with: apt-get install -y chromium";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        Assertions.fail(why + " (CI=true: not skipped)");
      }
      Assumptions.abort(why);
    }
    chromium = found.get();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void thePageShowsTheJobAndThePreventedDuplicate() throws Exception {
    server = IdemServer.start(ServerConfig.builder().port(0).dataDir(dir.resolve("data")).build());
    String id = DashboardTesting.enqueueWithDuplicate(server, Map.of(), "welcome-42");
    DashboardTesting.acquireLock(server, Map.of(), "nightly-report", "worker-a@host-1");
    String url = server.baseUrl() + "/#job=" + id;

    Path png = targetDir().resolve("dashboard.png");
    String dom = dumpDomAndScreenshot(url, png);

    assertThat(attribute(dom, "body", "data-loaded")).as(dom).isEqualTo("true");
    assertThat(attribute(dom, "jobs-total", "data-value")).isEqualTo("1");
    assertThat(attribute(dom, "dups-total", "data-value")).isEqualTo("1");
    assertThat(attribute(dom, "state-QUEUED", "data-value")).isEqualTo("1");
    assertThat(attribute(dom, "state-RUNNING", "data-value")).isEqualTo("0");
    assertThat(all(dom, "<tr[^>]*\\bdata-job-id=\"([^\"]+)\"")).containsExactly(id);
    assertThat(all(dom, "<tr[^>]*\\bdata-unique-key=\"([^\"]+)\"[^>]*\\bdata-count=\"1\""))
        .singleElement()
        .satisfies(k -> assertThat(k).contains("welcome-42"));
    assertThat(attribute(dom, "job-detail", "data-job-id")).isEqualTo(id);
    assertThat(attribute(dom, "detail-dups", "data-value")).isEqualTo("1");
    assertThat(attribute(dom, "conflicts-total", "data-value")).isEqualTo("1");
    assertThat(all(dom, "<li[^>]*\\bdata-event=\"([^\"]+)\"")).containsExactly("conflict");
    assertThat(all(dom, "<tr[^>]*\\bdata-lock=\"([^\"]+)\"")).containsExactly("nightly-report");

    assertThat(png).isNotEmptyFile();
    byte[] head = Arrays.copyOf(Files.readAllBytes(png), 8);
    assertThat(head).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
  }

  @Test
  void withApiKeysThePageAsksForOneAndTakesItFromTheAddress() throws Exception {
    server =
        IdemServer.start(
            ServerConfig.builder()
                .port(0)
                .dataDir(dir.resolve("data"))
                .apiKey(KEY_A, "acme")
                .build());
    DashboardTesting.enqueueWithDuplicate(
        server, Map.of("Authorization", "Bearer " + KEY_A), "welcome-1");

    String asked =
        dumpDomAndScreenshot(server.baseUrl() + "/", targetDir().resolve("dashboard-api-key.png"));
    assertThat(attribute(asked, "body", "data-loaded")).isEqualTo("false");
    assertThat(tag(asked, "key-dialog")).doesNotContain("hidden");

    String dom = dumpDom(server.baseUrl() + "/#key=" + KEY_A);
    assertThat(attribute(dom, "body", "data-loaded")).isEqualTo("true");
    assertThat(attribute(dom, "body", "data-tenant")).isEqualTo("acme");
    assertThat(attribute(dom, "jobs-total", "data-value")).isEqualTo("1");
    assertThat(attribute(dom, "dups-total", "data-value")).isEqualTo("1");
    assertThat(tag(dom, "key-dialog")).contains("hidden");
  }

  // ---- Chromium -------------------------------------------------------------------------------

  private String dumpDom(String url) throws Exception {
    return new String(run(List.of("--dump-dom", url)), StandardCharsets.UTF_8);
  }

  /**
   * The rendered page, and its picture in {@code png} (1280 x 900): one Chromium run where it does
   * both (recent versions), else a second run for the picture.
   */
  private String dumpDomAndScreenshot(String url, Path png) throws Exception {
    Files.deleteIfExists(png);
    List<String> shot = List.of("--screenshot=" + png.toAbsolutePath(), "--window-size=1280,900");
    List<String> both = new ArrayList<>(shot);
    both.addAll(List.of("--dump-dom", url));
    String dom = new String(run(both), StandardCharsets.UTF_8);
    if (!Files.isRegularFile(png) || Files.size(png) == 0) {
      List<String> again = new ArrayList<>(shot);
      again.add(url);
      run(again);
    }
    return dom;
  }

  /** Runs headless Chromium with a new profile; answers its standard output. */
  private byte[] run(List<String> args) throws Exception {
    Path profile = Files.createTempDirectory(dir, "chromium-");
    Path log = dir.resolve(profile.getFileName() + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(chromium.toString());
    cmd.addAll(
        List.of(
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-breakpad",
            "--hide-scrollbars",
            "--mute-audio",
            "--user-data-dir=" + profile.toAbsolutePath(),
            "--virtual-time-budget=5000"));
    cmd.addAll(args);
    Path out = dir.resolve(profile.getFileName() + ".out");
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(out.toFile())
            .redirectError(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("Chromium did not finish in 90 s: " + cmd + "\n" + tail(log));
    }
    if (p.exitValue() != 0) {
      throw new AssertionError(
          "Chromium exited with " + p.exitValue() + ": " + cmd + "\n" + tail(log));
    }
    return Files.readAllBytes(out);
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }

  static Optional<Path> chromium() {
    List<Path> candidates = new ArrayList<>();
    String env = System.getenv("IDEM_TEST_CHROMIUM");
    if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env));
    }
    candidates.add(Path.of("/usr/bin/chromium"));
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(File.pathSeparator)) {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
          candidates.add(Path.of(d, name));
        }
      }
    }
    return candidates.stream().filter(Files::isExecutable).findFirst();
  }

  private static Path targetDir() throws IOException {
    Path target = Path.of(System.getProperty("basedir", ".")).resolve("target");
    Files.createDirectories(target);
    return target;
  }

  // ---- reading the DOM ------------------------------------------------------------------------

  /** The opening tag of the element with {@code id} (or the body). */
  private static String tag(String dom, String id) {
    Pattern p =
        id.equals("body")
            ? Pattern.compile("<body\\b[^>]*>")
            : Pattern.compile("<[a-z0-9]+\\b[^>]*\\bid=\"" + Pattern.quote(id) + "\"[^>]*>");
    Matcher m = p.matcher(dom);
    if (!m.find()) {
      throw new AssertionError("no element #" + id + " in the rendered page:\n" + dom);
    }
    return m.group();
  }

  private static String attribute(String dom, String id, String name) {
    Matcher m =
        Pattern.compile("\\b" + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(tag(dom, id));
    if (!m.find()) {
      throw new AssertionError("#" + id + " has no " + name + ": " + tag(dom, id));
    }
    return m.group(1);
  }

  private static List<String> all(String dom, String regex) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile(regex).matcher(dom);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
