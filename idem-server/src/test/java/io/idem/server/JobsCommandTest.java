package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.idem.job.JobRequest;
import io.idem.job.Jobs;
import io.idem.job.Unique;
import io.idem.spi.JobClaim;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code idem jobs ...} against a SQLite folder, through picocli as a user runs it. */
class JobsCommandTest {

  @TempDir Path dir;
  private String queuedId;
  private String deadId;

  /** What a command printed and its exit code. */
  record Run(int code, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = Main.commandLine(args);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private String[] with(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--data";
    all[args.length + 1] = dir.toString();
    return all;
  }

  @BeforeEach
  void seed() {
    try (Backend backend = new Backend(ServerConfig.builder().dataDir(dir).build())) {
      Jobs jobs = backend.tenant("default").jobs();
      queuedId =
          jobs.enqueue(
                  JobRequest.of("email.send", Map.of("to", "a@b.c"))
                      .unique(Unique.byEntity("user", 1)))
              .job()
              .id();
      jobs.enqueue(JobRequest.of("email.send", Map.of("to", "x@y.z")).delay(Duration.ofHours(1)));
      jobs.enqueue(
          JobRequest.of("email.send", Map.of("to", "a@b.c")).unique(Unique.byEntity("user", 1)));
      deadId = jobs.enqueue(JobRequest.of("report", null).queue("slow").maxAttempts(1)).job().id();
      var claimed =
          jobs.store()
              .claim(new JobClaim(List.of("slow"), Set.of(), "w", Duration.ofMinutes(1), 1));
      jobs.store().fail(deadId, claimed.get(0).token(), "boom", null);

      backend.tenant("other").jobs().enqueue(JobRequest.of("elsewhere", null));
    }
  }

  @Test
  void aConfigFileGivesTheOptionsAndFlagsOverrideIt() throws Exception {
    Path config = dir.resolve("idem.properties");
    java.nio.file.Files.writeString(config, "store=sqlite\ndata=" + dir + "\n");
    Run fromFile = run("jobs", "list", "--config", config.toString());
    assertThat(fromFile.code()).as(fromFile.err()).isZero();
    assertThat(fromFile.out()).contains(queuedId, "3 jobs");

    Run overridden =
        run(
            "jobs",
            "list",
            "--config",
            config.toString(),
            "--data",
            dir.resolve("none").toString());
    assertThat(overridden.code()).isEqualTo(1);

    java.nio.file.Files.writeString(config, "store=mongodb\n");
    Run bad = run("jobs", "list", "--config=" + config);
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("'mongodb'");
  }

  @Test
  void listPrintsATableAndFilters() {
    Run r = run(with("jobs", "list"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("ID", "TYPE", "STATE", "UNIQUE KEY");
    assertThat(r.out()).contains(queuedId, deadId, "email.send:user=1", "SCHEDULED", "DEAD");
    assertThat(r.out()).contains("3 jobs").doesNotContain("elsewhere");

    Run dead = run(with("jobs", "list", "--state", "dead"));
    assertThat(dead.out()).contains(deadId).doesNotContain(queuedId).contains("1 job");

    Run typed = run(with("jobs", "list", "--type", "email.send", "--state", "QUEUED,SCHEDULED"));
    assertThat(typed.out()).contains(queuedId).doesNotContain(deadId).contains("2 jobs");

    Run paged = run(with("jobs", "list", "--limit", "2"));
    assertThat(paged.out()).contains("2 jobs").contains("more: --after ");
    String cursor = paged.out().substring(paged.out().indexOf("--after ") + 8).trim();
    Run page2 = run(with("jobs", "list", "--limit", "2", "--after", cursor));
    assertThat(page2.out()).contains("1 job").doesNotContain("more:");

    Run other = run(with("jobs", "list", "--tenant", "other"));
    assertThat(other.out()).contains("elsewhere", "1 job").doesNotContain(queuedId);
  }

  @Test
  void listAsJson() throws Exception {
    Run r = run(with("jobs", "list", "--json", "--state", "QUEUED"));
    assertThat(r.code()).isZero();
    JsonNode n = JobApi.JSON.readTree(r.out());
    assertThat(n.get("jobs")).hasSize(1);
    assertThat(n.get("jobs").get(0).get("args").get("to").asText()).isEqualTo("a@b.c");
    assertThat(n.get("next").isNull()).isTrue();
  }

  @Test
  void getRetryAndCancel() throws Exception {
    Run got = run(with("jobs", "get", deadId));
    assertThat(got.code()).isZero();
    JsonNode job = JobApi.JSON.readTree(got.out());
    assertThat(job.get("state").asText()).isEqualTo("DEAD");
    assertThat(job.get("lastError").asText()).isEqualTo("boom");

    Run retried = run(with("jobs", "retry", deadId));
    assertThat(retried.code()).as(retried.err()).isZero();
    assertThat(JobApi.JSON.readTree(retried.out()).get("state").asText()).isEqualTo("QUEUED");

    Run again = run(with("jobs", "retry", deadId));
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("QUEUED");

    Run cancelled = run(with("jobs", "cancel", queuedId));
    assertThat(cancelled.code()).isZero();
    assertThat(JobApi.JSON.readTree(cancelled.out()).get("state").asText()).isEqualTo("CANCELLED");

    Run missing = run(with("jobs", "get", "nope"));
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("no job nope");
    assertThat(run(with("jobs", "cancel", "nope")).code()).isEqualTo(1);
    assertThat(run(with("jobs", "get", queuedId, "--tenant", "other")).code()).isEqualTo(1);
  }

  @Test
  void statsAsTablesAndJson() throws Exception {
    Run r = run(with("jobs", "stats"));
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("QUEUED", "SCHEDULED", "DEAD", "email.send", "report");
    assertThat(r.out()).contains("duplicates prevented: 1").contains("email.send:user=1");
    JsonNode n = JobApi.JSON.readTree(run(with("jobs", "stats", "--json")).out());
    assertThat(n.get("byState").get("DEAD").asLong()).isEqualTo(1);
    assertThat(n.get("duplicatesPreventedTotal").asLong()).isEqualTo(1);
  }

  @Test
  void badCommandLinesAreUsageErrorsAndNothingIsCreated() {
    Run state = run(with("jobs", "list", "--state", "DONE"));
    assertThat(state.code()).isEqualTo(2);
    assertThat(state.err()).contains("--state must be one of").contains("'DONE'");
    assertThat(run(with("jobs", "list", "--limit", "0")).code()).isEqualTo(2);
    assertThat(run(with("jobs", "list", "--after", "x")).code()).isEqualTo(2);
    assertThat(run(with("jobs", "list", "--store", "mongo")).err()).contains("'mongo'");
    assertThat(run(with("jobs", "list", "--tenant", "Bad Name")).code()).isEqualTo(2);
    assertThat(run(with("jobs", "get")).code()).isEqualTo(2);

    Run none = run(with("jobs", "list", "--tenant", "nobody"));
    assertThat(none.code()).isEqualTo(1);
    assertThat(none.err()).contains("nobody.db");
    assertThat(Files.exists(dir.resolve("nobody.db"))).isFalse();
  }

  @Test
  void helpEverywhere() {
    assertThat(run("--help").out()).contains("serve", "jobs");
    assertThat(run("jobs", "--help").out()).contains("list", "get", "retry", "cancel", "stats");
    for (String sub : List.of("list", "get", "retry", "cancel", "stats")) {
      Run r = run("jobs", sub, "--help");
      assertThat(r.code()).isZero();
      assertThat(r.out()).contains("--tenant", "--store", "--data", "--postgres-url");
    }
    assertThat(run("jobs", "list", "--help").out()).contains("--state", "--type", "--limit");
    assertThat(run("serve", "--help").out()).contains("--store", "--data", "--port", "--api-key");
    assertThat(run("jobs").out()).contains("list");
  }
}
