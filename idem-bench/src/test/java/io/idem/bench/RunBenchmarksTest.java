package io.idem.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunBenchmarksTest {

  @Test
  void noArgumentsRunTheThreeBenchmarksInFullMode() {
    RunBenchmarks.Args args = RunBenchmarks.Args.parse();

    assertThat(args.quick()).isFalse();
    assertThat(args.forks()).isEqualTo(1);
    assertThat(args.includes()).containsExactly(RunBenchmarks.DEFAULT_INCLUDE);
    assertThat(args.markdown()).isNull();
    assertThat("io.idem.bench.KeyBuildBenchmark.idemKey")
        .containsPattern(RunBenchmarks.DEFAULT_INCLUDE);
    assertThat("io.idem.bench.SqliteClaimCompleteBenchmark.rawJdbc4Threads")
        .containsPattern(RunBenchmarks.DEFAULT_INCLUDE);
    assertThat("io.idem.bench.ReplayPartsBenchmark.storeGet")
        .doesNotContainPattern(RunBenchmarks.DEFAULT_INCLUDE);
  }

  @Test
  void optionsAreRead() {
    RunBenchmarks.Args args =
        RunBenchmarks.Args.parse(
            "--quick",
            "--include",
            "Replay",
            "--include",
            "KeyBuild",
            "--forks",
            "2",
            "--markdown",
            "out.md");

    assertThat(args.quick()).isTrue();
    assertThat(args.includes()).containsExactly("Replay", "KeyBuild");
    assertThat(args.forks()).isEqualTo(2);
    assertThat(args.markdown()).isEqualTo(Path.of("out.md"));
  }

  @Test
  void badOptionsAreNamed() {
    assertThatThrownBy(() -> RunBenchmarks.Args.parse("--fast")).hasMessageContaining("--fast");
    assertThatThrownBy(() -> RunBenchmarks.Args.parse("--include"))
        .hasMessageContaining("--include needs a value");
    assertThatThrownBy(() -> RunBenchmarks.Args.parse("--forks", "two"))
        .hasMessageContaining("\"two\"");
  }

  @Test
  void benchmarkNamesAreShortenedToClassAndMethod() {
    assertThat(RunBenchmarks.shortName("io.idem.bench.ReplayBenchmark.chmGet"))
        .isEqualTo("ReplayBenchmark.chmGet");
    assertThat(RunBenchmarks.shortName("Plain.run")).isEqualTo("Plain.run");
  }

  @Test
  void quickModeShortensTheIterations() {
    var quick = RunBenchmarks.options(RunBenchmarks.Args.parse("--quick")).build();
    var full = RunBenchmarks.options(RunBenchmarks.Args.parse()).build();

    assertThat(quick.getWarmupIterations().get()).isEqualTo(2);
    assertThat(quick.getMeasurementIterations().get()).isEqualTo(3);
    assertThat(full.getWarmupIterations().get()).isEqualTo(RunBenchmarks.DEFAULT_WARMUP_ITERATIONS);
    assertThat(full.getMeasurementIterations().get()).isEqualTo(5);
    assertThat(full.getForkCount().get()).isEqualTo(1);
  }

  @Test
  void selfTimedBenchmarksGiveOneFigurePerSideInCallsPerSecondOfItsOwnTime() {
    List<Map<String, Double>> iterations =
        List.of(
            Map.of("idemCalls", 100.0, "idemNanos", 2e7, "rawCalls", 100.0, "rawNanos", 1e7),
            Map.of("idemCalls", 300.0, "idemNanos", 5e7, "rawCalls", 300.0, "rawNanos", 3e7));

    assertThat(RunBenchmarks.sides(iterations)).containsExactlyInAnyOrder("idem", "raw");
    Report.Figure idem = RunBenchmarks.sideFigure("B.m:idem", "", 1, "idem", iterations);
    assertThat(idem.score()).isCloseTo(5_500, within(1e-6)); // mean of 5,000 and 6,000
    assertThat(idem.error()).isPositive();
    assertThat(idem.unit()).isEqualTo("ops/s");
    assertThat(RunBenchmarks.sideFigure("B.m:raw", "", 1, "raw", iterations).score())
        .isCloseTo(10_000, within(1e-6));
    assertThat(RunBenchmarks.sides(List.of(Map.of("gc.alloc.rate", 1.0)))).isEmpty();
    assertThat(RunBenchmarks.sides(List.of(Map.of("xNanos", 1.0)))).isEmpty();
  }
}
