package io.idem.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuickStartTest {

  @TempDir Path dir;

  private String run() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    QuickStart.run(dir, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theFirstRunSendsOnceReplaysAndRefusesDuplicates() throws Exception {
    String out = run();

    assertThat(out).contains("1. send welcome email to user 42: EXECUTED -> welcome email #1");
    assertThat(out).contains("2. the same call again:         REPLAYED -> welcome email #1");
    assertThat(out).contains("(emails sent by this run: 1)");
    assertThat(out).contains("3. concurrent duplicate:        refused -> key report:tenant=acme:");
    assertThat(out).contains("is in progress elsewhere");
    assertThat(out).contains("the first call then finished: report ready");
    assertThat(out).contains("4. same key, other payload:     refused -> key refund:order-7:");
    assertThat(out).doesNotContain("unexpected");
  }

  @Test
  void aSecondRunReplaysTheEmailFromTheFile() throws Exception {
    run();
    String second = run();

    assertThat(second)
        .contains("1. send welcome email to user 42: REPLAYED -> welcome email #1")
        .contains("completed by an earlier run")
        .contains("(emails sent by this run: 0)")
        .doesNotContain("unexpected");
  }
}
