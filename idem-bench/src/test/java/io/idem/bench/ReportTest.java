package io.idem.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.bench.Report.Figure;
import io.idem.bench.Report.Row;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTest {

  private final Report report = Report.ofSuite();

  private static Figure time(String name, double score, double error) {
    return new Figure(name, "", 1, score, error, "ns/op");
  }

  private static Figure throughput(String name, int threads, double score, double error) {
    return new Figure(name, "", threads, score, error, "ops/s");
  }

  private static Row row(List<Row> rows, String benchmark) {
    return rows.stream().filter(r -> r.benchmark().startsWith(benchmark)).findFirst().orElseThrow();
  }

  @Test
  void replayRatioIsIdemTimeOverMapTimeAndPassesAtFiveOrLess() {
    List<Row> rows =
        report.rows(
            List.of(
                time("ReplayBenchmark.idemReplay", 40, 1),
                time("ReplayBenchmark.chmGet", 10, 0.1)));

    assertThat(rows)
        .extracting(Row::benchmark)
        .containsExactly("ReplayBenchmark.chmGet", "ReplayBenchmark.idemReplay");
    Row idem = row(rows, "ReplayBenchmark.idemReplay");
    assertThat(idem.ratio()).startsWith("4.00 +- ").endsWith(" vs chmGet");
    assertThat(idem.target()).isEqualTo("ratio <= 5.00");
    assertThat(idem.verdict()).isEqualTo("PASS");
    assertThat(row(rows, "ReplayBenchmark.chmGet").ratio()).isEqualTo("1 (baseline)");
  }

  @Test
  void replayMoreThanFiveTimesTheMapMisses() {
    List<Row> rows =
        report.rows(
            List.of(
                time("ReplayBenchmark.chmGet", 10, 0.1),
                time("ReplayBenchmark.idemReplay", 90, 1)));

    assertThat(row(rows, "ReplayBenchmark.idemReplay").verdict()).isEqualTo("MISS");
  }

  @Test
  void aVerdictWhoseIntervalReachesTheTargetIsNoPass() {
    assertThat(Report.verdict(true, 4.8, 0.5, 5))
        .isEqualTo("WITHIN ERROR (point estimate meets the target)");
    assertThat(Report.verdict(false, 5.2, 0.5, 5))
        .isEqualTo("WITHIN ERROR (point estimate misses the target)");
    assertThat(Report.verdict(true, 4.0, 0.5, 5)).isEqualTo("PASS");
    assertThat(Report.verdict(false, 6.0, 0.5, 5)).isEqualTo("MISS");
  }

  @Test
  void aFigureWithoutAnIntervalNeverPasses() {
    assertThat(Report.verdict(true, 4.8, Double.NaN, 5)).isEqualTo("UNPROVEN (no interval)");
    assertThat(Report.verdict(false, 5.2, Double.NaN, 5)).isEqualTo("MISS");
  }

  @Test
  void aRowWhoseIntervalCrossesTheTargetSaysWithinErrorNotPass() {
    List<Row> rows =
        report.rows(
            List.of(
                throughput("SqliteClaimCompleteBenchmark.rawJdbc", 1, 10_000, 10),
                throughput("SqliteClaimCompleteBenchmark.idemOnce", 1, 8_500, 2_000)));

    assertThat(row(rows, "SqliteClaimCompleteBenchmark.idemOnce").verdict())
        .isEqualTo("WITHIN ERROR (point estimate meets the target)");
  }

  @Test
  void sqliteRatioIsIdemThroughputOverRawThroughputAndNeedsPointEight() {
    List<Row> rows =
        report.rows(
            List.of(
                throughput("SqliteClaimCompleteBenchmark.rawJdbc", 1, 10_000, 10),
                throughput("SqliteClaimCompleteBenchmark.idemOnce", 1, 8_500, 10),
                throughput("SqliteClaimCompleteBenchmark.rawJdbc4Threads", 4, 10_000, 10),
                throughput("SqliteClaimCompleteBenchmark.idemOnce4Threads", 4, 7_000, 10)));

    Row one = row(rows, "SqliteClaimCompleteBenchmark.idemOnce");
    assertThat(one.ratio()).startsWith("0.850 +- ");
    assertThat(one.target()).isEqualTo("ratio >= 0.800");
    assertThat(one.verdict()).isEqualTo("PASS");
    Row four = row(rows, "SqliteClaimCompleteBenchmark.idemOnce4Threads");
    assertThat(four.threads()).isEqualTo(4);
    assertThat(four.ratio()).startsWith("0.700 +- ").endsWith("vs rawJdbc4Threads");
    assertThat(four.target()).isEqualTo("ratio >= 0.800 (not required)");
    assertThat(four.verdict()).isEqualTo("MISS");
  }

  @Test
  void keyBuildIsJudgedOnAbsoluteTimeAndShowsTheSpeedUp() {
    List<Row> rows =
        report.rows(
            List.of(
                new Figure("KeyBuildBenchmark.idemKey", "", 1, 1.5, 0.01, "us/op"),
                new Figure("KeyBuildBenchmark.jacksonSha256", "", 1, 6, 0.01, "us/op")));

    Row idem = row(rows, "KeyBuildBenchmark.idemKey");
    assertThat(idem.ratio()).startsWith("0.250 +- ").endsWith("vs jacksonSha256 (4.00x faster)");
    assertThat(idem.target()).isEqualTo("<= 2000 ns/op");
    assertThat(idem.verdict()).isEqualTo("PASS");

    List<Row> slow =
        report.rows(List.of(new Figure("KeyBuildBenchmark.idemKey", "", 1, 2.5, 0.01, "us/op")));
    assertThat(slow.get(0).verdict()).isEqualTo("MISS");
    assertThat(slow.get(0).ratio()).isEqualTo("n/a (jacksonSha256 not run)");
  }

  @Test
  void baselinesArePairedWithinTheSameParameters() {
    List<Row> rows =
        report.rows(
            List.of(
                new Figure("ReplayBenchmark.chmGet", "keys=10", 1, 5, 0.1, "ns/op"),
                new Figure("ReplayBenchmark.chmGet", "keys=10000", 1, 10, 0.1, "ns/op"),
                new Figure("ReplayBenchmark.idemReplay", "keys=10000", 1, 30, 0.1, "ns/op")));

    assertThat(row(rows, "ReplayBenchmark.idemReplay").ratio()).startsWith("3.00 +- ");
    assertThat(rows).hasSize(3);
  }

  @Test
  void unknownBenchmarksAreListedWithoutRatio() {
    List<Row> rows = report.rows(List.of(time("SomethingElse.run", 3, Double.NaN)));

    assertThat(rows)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.score()).isEqualTo("3.00");
              assertThat(r.ratio()).isEmpty();
              assertThat(r.verdict()).isEmpty();
            });
  }

  @Test
  void timeUnitsConvertToNanoseconds() {
    assertThat(Report.nanosPerOp(2, "us/op")).isEqualTo(2_000);
    assertThat(Report.nanosPerOp(2, "ms/op")).isEqualTo(2_000_000);
    assertThatThrownBy(() -> Report.nanosPerOp(2, "ops/s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ops/s");
  }

  @Test
  void numbersKeepThreeSignificantDigits() {
    assertThat(Report.number(12345.6)).isEqualTo("12346");
    assertThat(Report.number(12.345)).isEqualTo("12.3");
    assertThat(Report.number(1.2345)).isEqualTo("1.23");
    assertThat(Report.number(0.12345)).isEqualTo("0.123");
    assertThat(Report.number(0.012345)).isEqualTo("0.0123");
  }

  @Test
  void tablesRenderAsTextAndMarkdown() {
    List<Row> rows =
        report.rows(
            List.of(
                time("ReplayBenchmark.chmGet", 10, 0.1),
                time("ReplayBenchmark.idemReplay", 40, 1)));

    String text = Report.text(rows);
    assertThat(text.lines()).hasSize(3);
    assertThat(text.lines().findFirst().orElseThrow()).startsWith("Benchmark").contains("Verdict");

    String md = Report.markdown(rows);
    assertThat(md.lines()).hasSize(4);
    assertThat(md).contains("| `ReplayBenchmark.idemReplay` |").contains("≤ 5.00").contains("±");
  }

  @Test
  void sidesMeasuredInStepArePairedIterationByIteration() {
    // the machine slowed both sides alike in some iterations: their ratios stay close
    List<Row> rows =
        report.rows(
            List.of(
                new Figure(
                    "SqliteClaimCompleteBenchmark.interleaved:raw",
                    "",
                    1,
                    7_000,
                    5_000,
                    "ops/s",
                    List.of(10_000.0, 5_000.0, 10_000.0, 5_000.0, 5_000.0)),
                new Figure(
                    "SqliteClaimCompleteBenchmark.interleaved:idem",
                    "",
                    1,
                    4_970,
                    3_500,
                    "ops/s",
                    List.of(7_000.0, 3_550.0, 7_200.0, 3_500.0, 3_550.0))));

    Row idem = row(rows, "SqliteClaimCompleteBenchmark.interleaved:idem");
    assertThat(idem.ratio()).startsWith("0.708 +- 0.03").endsWith(" vs interleaved:raw");
    assertThat(idem.verdict()).isEqualTo("MISS"); // unpaired, the error would reach 0.8
  }
}
