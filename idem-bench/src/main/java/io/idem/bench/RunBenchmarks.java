package io.idem.bench;

import io.idem.bench.jobs.JobThroughput;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.ListStatistics;

/**
 * Runs the benchmarks of this module with JMH and prints each figure as a ratio against the
 * baseline measured in the same run, with its target and verdict (PASS only when the interval
 * clears the target).
 *
 * <pre>{@code
 * mvn -B -q -pl idem-bench package -Dspotless.check.skip=true
 * java -jar idem-bench/target/idem-bench.jar                  # all, 5x1s warm-up, 5x1s measured
 * java -jar idem-bench/target/idem-bench.jar --quick          # 2x500ms warm-up, 3x500ms measured
 * java -jar idem-bench/target/idem-bench.jar --include Replay --markdown replay.md
 * # the job-queue run against db-scheduler and JobRunr (not JMH; see JobThroughput):
 * java -jar idem-bench/target/idem-bench.jar jobs --jobs 100000 --rounds 3
 * # the store benchmarks, on PostgreSQL 17 and Redis started in each fork (about 3 to 4 minutes):
 * java -jar idem-bench/target/idem-bench.jar --include 'Redis|Postgres|Lock' \
 *     --warmup 3 --measurement 3 --markdown idem-bench/target/benchmarks-stores.md
 * }</pre>
 *
 * <p>Options: {@code --quick}; {@code --include REGEX} (repeatable; matched against {@code
 * io.idem.bench.Class.method}, default: the three benchmark classes); {@code --forks N} (default
 * 1); {@code --warmup N} and {@code --measurement N} (iterations of 1 s, default 5 each); {@code
 * --markdown FILE} writes the table as markdown; {@code --json FILE} writes JMH's JSON results;
 * {@code --help}.
 */
public final class RunBenchmarks {

  /** The benchmarks run when no {@code --include} is given. */
  static final String DEFAULT_INCLUDE =
      "io\\.idem\\.bench\\.(KeyBuildBenchmark|ReplayBenchmark|SqliteClaimCompleteBenchmark)\\.";

  /**
   * Warm-up iterations of 1 s by default: five, because on a busy 2-core machine C2 finished
   * compiling Idem's replay path only after 3 to 5 seconds, and three iterations let a
   * half-compiled path into the measurement.
   */
  static final int DEFAULT_WARMUP_ITERATIONS = 5;

  /** Measured iterations of 1 s by default. */
  static final int DEFAULT_MEASUREMENT_ITERATIONS = 5;

  private static final String USAGE =
      String.join(
          "\n",
          "Usage: java -jar idem-bench.jar [options]",
          "  --quick            warm up 2 x 500 ms, measure 3 x 500 ms (default: 5 x 1 s, 5 x 1 s)",
          "  --include REGEX    benchmarks to run, matched against io.idem.bench.Class.method;",
          "                     repeatable (default: the three benchmarks of the suite; the",
          "                     *PartsBenchmark diagnostics run only when included)",
          "  --forks N          JVM forks per benchmark (default 1)",
          "  --warmup N         warm-up iterations of 1 s (default 5)",
          "  --measurement N    measured iterations of 1 s (default 5)",
          "  --markdown FILE    also write the table as markdown",
          "  --json FILE        also write JMH's results as JSON",
          "  --help             this text",
          "",
          "       java -jar idem-bench.jar jobs [options]",
          "  the side-by-side job-queue run (not JMH), io.idem.bench.jobs.JobThroughput;",
          "  jobs --help for its options");

  private RunBenchmarks() {}

  /** The command line, parsed. */
  record Args(
      boolean quick,
      List<String> includes,
      int forks,
      int warmup,
      int measurement,
      @Nullable Path markdown,
      @Nullable Path json,
      boolean help) {

    static Args parse(String... args) {
      boolean quick = false;
      boolean help = false;
      List<String> includes = new ArrayList<>();
      int forks = 1;
      int warmup = DEFAULT_WARMUP_ITERATIONS;
      int measurement = DEFAULT_MEASUREMENT_ITERATIONS;
      Path markdown = null;
      Path json = null;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--quick" -> quick = true;
          case "--help", "-h" -> help = true;
          case "--include" -> includes.add(value(args, ++i, a));
          case "--markdown" -> markdown = Path.of(value(args, ++i, a));
          case "--json" -> json = Path.of(value(args, ++i, a));
          case "--forks" -> forks = count(value(args, ++i, a), a, 0);
          case "--warmup" -> warmup = count(value(args, ++i, a), a, 0);
          case "--measurement" -> measurement = count(value(args, ++i, a), a, 1);
          default -> throw new IllegalArgumentException("unknown option \"" + a + "\"");
        }
      }
      if (includes.isEmpty()) {
        includes.add(DEFAULT_INCLUDE);
      }
      return new Args(
          quick, List.copyOf(includes), forks, warmup, measurement, markdown, json, help);
    }

    private static int count(String v, String option, int min) {
      int n;
      try {
        n = Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " must be a number, but was \"" + v + "\"");
      }
      if (n < min) {
        throw new IllegalArgumentException(
            option
                + (min == 0 ? " must not be negative" : " must be at least " + min)
                + ", but was "
                + n);
      }
      return n;
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }
  }

  public static void main(String[] argv) throws Exception {
    if (argv.length > 0 && argv[0].equals("jobs")) {
      JobThroughput.fromRunner(argv);
      return;
    }
    Args args;
    try {
      args = Args.parse(argv);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    if (args.help()) {
      System.out.println(USAGE);
      return;
    }
    Collection<RunResult> results = new Runner(options(args).build()).run();
    List<Report.Row> rows = Report.ofSuite().rows(figures(results));
    PrintStream out = System.out;
    out.println();
    out.println(machine(args));
    out.println();
    out.print(Report.text(rows));
    if (args.markdown() != null) {
      String md = machine(args) + "\n\n" + Report.markdown(rows);
      Files.writeString(args.markdown(), md, StandardCharsets.UTF_8);
      out.println();
      out.println("Markdown written to " + args.markdown().toAbsolutePath());
    }
  }

  static ChainedOptionsBuilder options(Args args) {
    ChainedOptionsBuilder b =
        new OptionsBuilder()
            .forks(args.forks())
            .shouldFailOnError(true)
            .jvmArgsAppend("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    for (String include : args.includes()) {
      b = b.include(include);
    }
    if (args.quick()) {
      b =
          b.warmupIterations(2)
              .warmupTime(TimeValue.milliseconds(500))
              .measurementIterations(3)
              .measurementTime(TimeValue.milliseconds(500));
    } else {
      b =
          b.warmupIterations(args.warmup())
              .warmupTime(TimeValue.seconds(1))
              .measurementIterations(args.measurement())
              .measurementTime(TimeValue.seconds(1));
    }
    if (args.json() != null) {
      b = b.resultFormat(ResultFormatType.JSON).result(args.json().toString());
    }
    return b;
  }

  /**
   * The figures of {@code results}, named {@code Class.method}. A benchmark that times sides itself
   * (secondary results {@code <side>Nanos} and {@code <side>Calls}, as {@link
   * SqliteClaimCompleteBenchmark#interleaved}) gives one figure per side instead, {@code
   * Class.method:side}, in calls per second of that side's own time.
   */
  static List<Report.Figure> figures(Collection<RunResult> results) {
    List<Report.Figure> figures = new ArrayList<>();
    for (RunResult r : results) {
      BenchmarkParams p = r.getParams();
      String name = shortName(p.getBenchmark());
      String params = params(p);
      List<Map<String, Double>> iterations = new ArrayList<>();
      for (BenchmarkResult fork : r.getBenchmarkResults()) {
        for (IterationResult it : fork.getIterationResults()) {
          Map<String, Double> secondary = new TreeMap<>();
          it.getSecondaryResults().forEach((k, v) -> secondary.put(k, v.getScore()));
          iterations.add(secondary);
        }
      }
      List<String> sides = sides(iterations);
      if (!sides.isEmpty()) {
        for (String side : sides) {
          figures.add(sideFigure(name + ":" + side, params, p.getThreads(), side, iterations));
        }
        continue;
      }
      Result<?> primary = r.getPrimaryResult();
      figures.add(
          new Report.Figure(
              name,
              params,
              p.getThreads(),
              primary.getScore(),
              primary.getScoreError(),
              primary.getScoreUnit()));
    }
    return figures;
  }

  private static String params(BenchmarkParams p) {
    Map<String, String> params = new TreeMap<>();
    for (String k : p.getParamsKeys()) {
      params.put(k, p.getParam(k));
    }
    StringBuilder ps = new StringBuilder();
    params.forEach(
        (k, v) -> ps.append(ps.length() == 0 ? "" : ",").append(k).append('=').append(v));
    return ps.toString();
  }

  /** The sides a self-timed benchmark reports, from its first iteration's secondary results. */
  static List<String> sides(List<Map<String, Double>> iterations) {
    List<String> sides = new ArrayList<>();
    if (iterations.isEmpty()) {
      return sides;
    }
    Map<String, Double> first = iterations.get(0);
    for (String label : first.keySet()) {
      if (label.endsWith("Nanos")) {
        String side = label.substring(0, label.length() - "Nanos".length());
        if (!side.isEmpty() && first.containsKey(side + "Calls")) {
          sides.add(side);
        }
      }
    }
    return sides;
  }

  /**
   * One side of a self-timed benchmark: the mean over iterations of {@code <side>Calls} per second
   * of {@code <side>Nanos}, with the 99.9% confidence half-width; the per-iteration rates are kept
   * for ratios paired iteration by iteration with the other sides.
   */
  static Report.Figure sideFigure(
      String name, String params, int threads, String side, List<Map<String, Double>> iterations) {
    ListStatistics rates = new ListStatistics();
    List<Double> perIteration = new ArrayList<>();
    for (Map<String, Double> it : iterations) {
      double nanos = it.getOrDefault(side + "Nanos", 0.0);
      double rate = nanos > 0 ? it.getOrDefault(side + "Calls", 0.0) * 1e9 / nanos : 0;
      rates.addValue(rate);
      perIteration.add(rate);
    }
    double error = rates.getN() > 1 ? rates.getMeanErrorAt(0.999) : Double.NaN;
    return new Report.Figure(name, params, threads, rates.getMean(), error, "ops/s", perIteration);
  }

  /** {@code Class.method} of a fully qualified benchmark name. */
  static String shortName(String benchmark) {
    int method = benchmark.lastIndexOf('.');
    int type = method < 0 ? -1 : benchmark.lastIndexOf('.', method - 1);
    return benchmark.substring(type + 1);
  }

  /** One line on where and how the figures were measured. */
  static String machine(Args args) {
    return "Idem benchmarks, "
        + OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
        + "; "
        + Runtime.getRuntime().availableProcessors()
        + " CPUs; "
        + System.getProperty("java.vm.name")
        + " "
        + System.getProperty("java.runtime.version")
        + "; "
        + System.getProperty("os.name")
        + " "
        + System.getProperty("os.arch")
        + "; "
        + (args.quick()
            ? "quick: 2x500ms warm-up, 3x500ms measured"
            : args.warmup() + "x1s warm-up, " + args.measurement() + "x1s measured")
        + ", "
        + args.forks()
        + " fork(s); error = 99.9% confidence half-width";
  }
}
