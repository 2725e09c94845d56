package io.idem.bench.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.testkit.servers.PostgresServer;
import io.idem.testkit.servers.TestServers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The job-queue harness, exercised by {@code mvn verify}: every available contender runs 200 unique
 * jobs (and Idem 200 plain ones) on the real PostgreSQL of {@link TestServers} (each job executed,
 * the engine's storage agreeing), and the options and the verdicts are checked without a server.
 * About 10 s on a quiet 2-core machine, most of it JobRunr's first poll (1 s after its start, then
 * every 5 s).
 */
class JobThroughputTest {

  static final int JOBS = 200;

  @Test
  void everyAvailableContenderRunsAllItsJobs() throws Exception {
    PostgresServer pg = TestServers.postgres();
    JobThroughput.Args args = JobThroughput.Args.parse("--timeout", "60", "--threads", "4");
    RunSettings settings = new RunSettings(4, 8, 50);
    for (String name : JobThroughput.CONTENDERS.keySet()) {
      if (!JobThroughput.available(name)) {
        continue;
      }
      // plain jobs as the run makes them: Idem's only (JobRunr's would cost one more 5 s poll)
      boolean plain = JobThroughput.withPlain(name, args);
      for (boolean unique : plain ? new boolean[] {true, false} : new boolean[] {true}) {
        JobThroughput.Result r = JobThroughput.runOnce(pg, name, settings, JOBS, unique, 1, args);
        System.out.println(JobThroughput.line(r, false));

        assertThat(r.contender()).isEqualTo(name);
        assertThat(r.jobs()).isEqualTo(JOBS);
        assertThat(r.executions()).as(name + " executions").isGreaterThanOrEqualTo(JOBS);
        assertThat(r.enqueueNanos()).isPositive();
        assertThat(r.totalNanos()).isGreaterThanOrEqualTo(r.firstNanos()).isPositive();
        assertThat(r.jobsPerSecond()).isPositive();
      }
    }
  }

  @Test
  void thePeersAreAvailableAndIdemOnlyOnceCompleted() {
    assertThat(JobThroughput.available("db-scheduler")).isTrue();
    assertThat(JobThroughput.available("jobrunr")).isTrue();
    assertThat(JobThroughput.available("idem")).isEqualTo(IdemContender.AVAILABLE);
    assertThat(JobThroughput.Args.parse().contenders())
        .contains("db-scheduler", "jobrunr")
        .hasSize(IdemContender.AVAILABLE ? 3 : 2);
  }

  @Test
  void jobRunrIdsAreDeterministicAndDistinct() {
    assertThat(JobRunrContender.id(7)).isEqualTo(JobRunrContender.id(7));
    assertThat(JobRunrContender.id(7)).isNotEqualTo(JobRunrContender.id(8));
  }

  @Test
  void optionsAreRead() {
    JobThroughput.Args a =
        JobThroughput.Args.parse(
            "--jobs",
            "20_000",
            "--rounds",
            "3",
            "--threads",
            "4",
            "--pool",
            "10",
            "--batch",
            "500",
            "--warmup",
            "0",
            "--contenders",
            "jobrunr, db-scheduler",
            "--plain-peers",
            "--rewrite-batched-inserts",
            "--timeout",
            "60",
            "--markdown",
            "out.md");

    assertThat(a.jobs()).isEqualTo(20_000);
    assertThat(a.rounds()).isEqualTo(3);
    assertThat(a.settings()).isEqualTo(new RunSettings(4, 10, 500));
    assertThat(a.warmup()).isZero();
    assertThat(a.contenders()).containsExactly("jobrunr", "db-scheduler");
    assertThat(a.plainPeers()).isTrue();
    assertThat(a.rewriteBatchedInserts()).isTrue();
    assertThat(a.timeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(a.markdown()).isEqualTo(Path.of("out.md"));
    assertThat(JobThroughput.withPlain("jobrunr", a)).isTrue();
    assertThat(JobThroughput.withPlain("db-scheduler", a)).isFalse();
  }

  @Test
  void badOptionsAreNamed() {
    assertThatThrownBy(() -> JobThroughput.Args.parse("--fast")).hasMessageContaining("--fast");
    assertThatThrownBy(() -> JobThroughput.Args.parse("--jobs", "0"))
        .hasMessageContaining("--jobs must be at least 1, but was 0");
    assertThatThrownBy(() -> JobThroughput.Args.parse("--contenders", "quartz"))
        .hasMessageContaining("\"quartz\"");
    assertThatThrownBy(() -> JobThroughput.Args.parse("--rounds"))
        .hasMessageContaining("--rounds needs a value");
  }

  @Test
  void aDatabaseIsSwappedInTheJdbcUrl() {
    assertThat(FreshDatabase.urlOf("jdbc:postgresql://127.0.0.1:5432/postgres", "b1"))
        .isEqualTo("jdbc:postgresql://127.0.0.1:5432/b1");
    assertThat(FreshDatabase.urlOf("jdbc:postgresql://h:1/test?ssl=false&x=1", "b2"))
        .isEqualTo("jdbc:postgresql://h:1/b2?ssl=false&x=1");
    assertThat(FreshDatabase.urlOf("jdbc:postgresql://h:1", "b3"))
        .isEqualTo("jdbc:postgresql://h:1/b3");
  }

  static JobThroughput.Result result(String contender, boolean unique, int round, double seconds) {
    long total = (long) (seconds * 1e9);
    return new JobThroughput.Result(
        contender, unique, round, 1000, total / 2, 1_000_000, total, 0, 1000, 0.5, null);
  }

  @Test
  void withoutIdemTheTargetsArePendingAndSayWhatIsNeeded() {
    List<JobThroughput.Result> results =
        List.of(
            result("db-scheduler", true, 0, 0.1), // warm-up: not counted
            result("db-scheduler", true, 1, 1.0),
            result("jobrunr", true, 1, 4.0));

    List<String> v = JobThroughput.verdicts(results);

    assertThat(v.get(0)).contains("db-scheduler 1,000 jobs/s", "JobRunr 250 jobs/s", "= 4.00");
    assertThat(v.get(1)).contains("PENDING", ">= 2,000 jobs/s", "db-scheduler");
    assertThat(v.get(2)).contains("PENDING");
  }

  @Test
  void aRunThatDidNotFinishIsNamedAndLeftOutOfTheMedians() {
    List<JobThroughput.Result> results =
        List.of(
            result("db-scheduler", true, 1, 1.0),
            JobThroughput.Result.failed(
                "idem", true, 1, 1000, 120, "TimeoutException: only 120 of 1000 jobs ran"),
            result("idem", false, 1, 0.5));

    assertThat(JobThroughput.summary(results, "idem", true)).isNull();
    assertThat(JobThroughput.line(results.get(1), false))
        .contains("FAILED after 120 executions: TimeoutException");
    List<String> v = JobThroughput.verdicts(results);
    assertThat(v.get(0)).contains("idem unique (round 1) did not finish 1000 jobs");
    assertThat(v.get(1)).contains("MISS (Idem did not finish; it needs >= 2,000 jobs/s here)");
    assertThat(v.get(2)).contains("PENDING");
  }

  @Test
  void withIdemTheTargetsAreJudgedOnTheRangeOverRounds() {
    List<JobThroughput.Result> results =
        List.of(
            result("db-scheduler", true, 1, 1.0),
            result("db-scheduler", true, 2, 2.0),
            result("db-scheduler", true, 3, 3.0), // median 500 jobs/s, at most 1,000
            result("jobrunr", true, 1, 4.0),
            result("idem", true, 1, 0.4), // 2,500 jobs/s
            result("idem", true, 2, 0.45),
            result("idem", false, 1, 0.38), // plain about 5 % faster
            result("idem", false, 2, 0.43));

    List<String> v = JobThroughput.verdicts(results);

    assertThat(v.get(1)).contains("(db-scheduler): 4.72 x (2.22–7.50 over rounds) -> PASS");
    assertThat(v.get(2)).contains("enqueue 5.0 % (-7.0–18.4 % over rounds) -> WITHIN ERROR");

    List<JobThroughput.Result> slow =
        List.of(
            result("db-scheduler", true, 1, 1.0),
            result("db-scheduler", true, 2, 1.1),
            result("idem", true, 1, 0.6),
            result("idem", true, 2, 0.65),
            result("idem", false, 1, 0.4),
            result("idem", false, 2, 0.41));
    List<String> w = JobThroughput.verdicts(slow);
    assertThat(w.get(0)).contains("1.68 x (1.54–1.83 over rounds) -> MISS");
    assertThat(w.get(1)).contains("-> MISS");

    String table = JobThroughput.report(JobThroughput.Args.parse(), results, true);
    assertThat(table).contains("| 1 | idem | plain | 1000 |").contains("- target");
  }

  @Test
  void aRatioOverOneRoundIsNeverAPass() {
    List<JobThroughput.Result> results =
        List.of(
            result("db-scheduler", true, 1, 1.0),
            result("idem", true, 1, 0.4),
            result("idem", false, 1, 0.39));

    List<String> v = JobThroughput.verdicts(results);

    assertThat(v.get(0)).contains("2.50 x -> UNPROVEN (one round").doesNotContain("PASS");
    assertThat(v.get(1)).contains("-> UNPROVEN (one round").doesNotContain("PASS");
  }

  @Test
  void aPeersFailedRoundIsReportedNotDropped() {
    List<JobThroughput.Result> results =
        List.of(
            result("db-scheduler", true, 1, 1.0),
            JobThroughput.Result.failed(
                "db-scheduler", true, 2, 1000, 700, "TimeoutException: only 700 of 1000 jobs ran"),
            result("db-scheduler", true, 3, 1.1),
            result("idem", true, 1, 0.2),
            result("idem", true, 2, 0.21),
            result("idem", true, 3, 0.22));

    JobThroughput.Summary dbs = JobThroughput.summary(results, "db-scheduler", true);
    assertThat(dbs).isNotNull();
    assertThat(dbs.rounds()).isEqualTo(2);
    assertThat(dbs.failed()).isEqualTo(1);
    assertThat(dbs.roundsText()).isEqualTo("2 (+1 failed)");
    List<String> v = JobThroughput.verdicts(results);
    assertThat(v.get(0)).contains("db-scheduler unique (round 2) did not finish 1000 jobs");
    assertThat(v.get(1))
        .contains("-> INCOMPLETE (db-scheduler unique failed 1 of 3 rounds)")
        .doesNotContain("PASS");
    assertThat(JobThroughput.report(JobThroughput.Args.parse(), results, true))
        .contains("| db-scheduler | unique | 2 (+1 failed) |");
  }
}
