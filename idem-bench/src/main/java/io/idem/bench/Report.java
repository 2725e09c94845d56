package io.idem.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.util.ListStatistics;

/**
 * Turns the figures of one run into the table {@link RunBenchmarks} prints: each measured figure
 * next to its baseline from the same run, as a ratio, with its target and verdict. Pure
 * computation, so that it is tested without running JMH. Immutable; thread-safe.
 */
final class Report {

  /** How a figure is judged. */
  enum Kind {
    /** Absolute time per operation at most {@code target} nanoseconds; ratio shown as speed-up. */
    MAX_NANOS_PER_OP,
    /** Time per operation at most {@code target} times the baseline's. */
    MAX_TIME_RATIO,
    /** Throughput at least {@code target} times the baseline's. */
    MIN_THROUGHPUT_RATIO,
    /** Ratio to the baseline reported; no target. */
    REPORTED
  }

  /**
   * What is expected of one benchmark method.
   *
   * @param benchmark {@code Class.method}
   * @param baseline the {@code Class.method} it is compared with in the same run
   * @param required false for figures reported against a target that is not required
   */
  record Check(String benchmark, String baseline, Kind kind, double target, boolean required) {
    Check {
      Objects.requireNonNull(benchmark, "benchmark");
      Objects.requireNonNull(baseline, "baseline");
      Objects.requireNonNull(kind, "kind");
    }
  }

  /** The checks of the suite, in the order of the table. */
  static final List<Check> CHECKS =
      List.of(
          new Check(
              "KeyBuildBenchmark.idemKey",
              "KeyBuildBenchmark.jacksonSha256",
              Kind.MAX_NANOS_PER_OP,
              2_000,
              true),
          new Check(
              "ReplayBenchmark.idemReplay", "ReplayBenchmark.chmGet", Kind.MAX_TIME_RATIO, 5, true),
          new Check(
              "ReplayBenchmark.idemReplayWithPayload",
              "ReplayBenchmark.chmGet",
              Kind.REPORTED,
              Double.NaN,
              false),
          new Check(
              "SqliteClaimCompleteBenchmark.idemOnce",
              "SqliteClaimCompleteBenchmark.rawJdbc",
              Kind.MIN_THROUGHPUT_RATIO,
              0.8,
              true),
          new Check(
              "SqliteClaimCompleteBenchmark.interleaved:idem",
              "SqliteClaimCompleteBenchmark.interleaved:raw",
              Kind.MIN_THROUGHPUT_RATIO,
              0.8,
              false),
          new Check(
              "SqliteClaimCompleteBenchmark.idemOnce4Threads",
              "SqliteClaimCompleteBenchmark.rawJdbc4Threads",
              Kind.MIN_THROUGHPUT_RATIO,
              0.8,
              false),
          // stores on real servers (not in the default run; see docs/benchmarks.md)
          minThroughput("RedisBenchmark.replayIdem", "RedisBenchmark.replayRaw", 0.8, true),
          minThroughput(
              "RedisBenchmark.replayIdem16Threads", "RedisBenchmark.replayRaw16Threads", 0.8, true),
          minThroughput(
              "RedisBenchmark.claimCompleteIdem", "RedisBenchmark.claimCompleteRaw", 0.8, true),
          minThroughput(
              "RedisBenchmark.claimCompleteIdem16Threads",
              "RedisBenchmark.claimCompleteRaw16Threads",
              0.8,
              true),
          minThroughput(
              "PostgresBenchmark.claimCompleteIdem",
              "PostgresBenchmark.claimCompleteRaw",
              0.8,
              true),
          minThroughput(
              "PostgresBenchmark.claimCompleteIdem16Threads",
              "PostgresBenchmark.claimCompleteRaw16Threads",
              0.8,
              true),
          minThroughput("LockBenchmark.postgresIdem", "LockBenchmark.postgresShedLock", 1.0, true),
          minThroughput("LockBenchmark.redisIdem", "LockBenchmark.redisShedLock", 1.0, true),
          minThroughput(
              "LockBenchmark.postgresIdem4Threads",
              "LockBenchmark.postgresShedLock4Threads",
              1.0,
              false),
          minThroughput(
              "LockBenchmark.redisIdem4Threads", "LockBenchmark.redisShedLock4Threads", 1.0, false),
          minThroughput(
              "RedisBenchmark.interleavedReplay:idem",
              "RedisBenchmark.interleavedReplay:raw",
              0.8,
              false),
          minThroughput(
              "RedisBenchmark.interleavedClaimComplete:idem",
              "RedisBenchmark.interleavedClaimComplete:raw",
              0.8,
              false),
          minThroughput(
              "PostgresBenchmark.interleaved:idem",
              "PostgresBenchmark.interleaved:raw",
              0.8,
              false),
          minThroughput(
              "LockBenchmark.interleavedPostgres:idem",
              "LockBenchmark.interleavedPostgres:raw",
              1.0,
              false),
          minThroughput(
              "LockBenchmark.interleavedRedis:idem",
              "LockBenchmark.interleavedRedis:raw",
              1.0,
              false),
          // diagnostics (not in the default run): each part against the same baseline
          reported("KeyBuildPartsBenchmark.jacksonSha256", "KeyBuildPartsBenchmark.idemKey"),
          reported("KeyBuildPartsBenchmark.scopeUser", "KeyBuildPartsBenchmark.idemKey"),
          reported("KeyBuildPartsBenchmark.canonicalJson", "KeyBuildPartsBenchmark.idemKey"),
          reported("KeyBuildPartsBenchmark.sha256Hex", "KeyBuildPartsBenchmark.idemKey"),
          reported("KeyBuildPartsBenchmark.jacksonJson", "KeyBuildPartsBenchmark.idemKey"),
          reported("KeyBuildPartsBenchmark.digestGetInstance", "KeyBuildPartsBenchmark.idemKey"),
          reported("ReplayPartsBenchmark.fingerprintOfNull", "ReplayPartsBenchmark.chmGet"),
          reported("ReplayPartsBenchmark.recordWithoutClock", "ReplayPartsBenchmark.chmGet"),
          reported("ReplayPartsBenchmark.clockMillis", "ReplayPartsBenchmark.chmGet"),
          reported("ReplayPartsBenchmark.clockInstant", "ReplayPartsBenchmark.chmGet"),
          reported("ReplayPartsBenchmark.storeGet", "ReplayPartsBenchmark.chmGet"),
          reported("ReplayPartsBenchmark.idemInspect", "ReplayPartsBenchmark.chmGet"),
          reported("ReplayPartsBenchmark.idemReplay", "ReplayPartsBenchmark.chmGet"),
          reported(
              "SqlitePartsBenchmark.steps:rawInTransaction", "SqlitePartsBenchmark.steps:rawJdbc"),
          reported(
              "SqlitePartsBenchmark.steps:rawTokenSequence", "SqlitePartsBenchmark.steps:rawJdbc"),
          reported(
              "SqlitePartsBenchmark.steps:rawStoreStatements",
              "SqlitePartsBenchmark.steps:rawJdbc"),
          reported(
              "SqlitePartsBenchmark.steps:storeGetClaimComplete",
              "SqlitePartsBenchmark.steps:rawJdbc"),
          reported(
              "SqlitePartsBenchmark.steps:idemOnceNoHeartbeat",
              "SqlitePartsBenchmark.steps:rawJdbc"),
          reported("SqlitePartsBenchmark.steps:idemOnce", "SqlitePartsBenchmark.steps:rawJdbc"),
          redisPart("replaySteps", "rawHgetall", "rawGet"),
          redisPart("replaySteps", "rawEvalGet", "rawGet"),
          redisPart("replaySteps", "rawClaimScript", "rawGet"),
          redisPart("replaySteps", "storeClaim", "rawGet"),
          redisPart("replaySteps", "idemReplay", "rawGet"),
          redisPart("claimSteps", "rawEvalSetNxSet", "rawSetNxSet"),
          redisPart("claimSteps", "rawScripts", "rawSetNxSet"),
          redisPart("claimSteps", "storeClaimComplete", "rawSetNxSet"),
          redisPart("claimSteps", "idemOnceNoHeartbeat", "rawSetNxSet"),
          redisPart("claimSteps", "idemOnce", "rawSetNxSet"),
          redisPart("lockSteps", "rawSetNxDel", "shedLock"),
          redisPart("lockSteps", "rawLockScripts", "shedLock"),
          redisPart("lockSteps", "storeAcquireRelease", "shedLock"),
          postgresPart("claimSteps", "rawClaimStatement", "rawJdbc"),
          postgresPart("claimSteps", "rawStoreStatements", "rawJdbc"),
          postgresPart("claimSteps", "storeClaimComplete", "rawJdbc"),
          postgresPart("claimSteps", "idemOnceNoHeartbeat", "rawJdbc"),
          postgresPart("claimSteps", "idemOnce", "rawJdbc"),
          postgresPart("replaySteps", "rawClaimStatement", "rawSelect"),
          postgresPart("replaySteps", "rawStoreStatements", "rawSelect"),
          postgresPart("replaySteps", "storeClaim", "rawSelect"),
          postgresPart("replaySteps", "idemReplay", "rawSelect"),
          postgresPart("lockSteps", "rawAcquireStatement", "shedLock"),
          postgresPart("lockSteps", "rawStoreStatements", "shedLock"),
          postgresPart("lockSteps", "storeAcquireRelease", "shedLock"),
          postgresPart("lockSteps", "managerTryRun", "shedLock"),
          postgresPart("lockSteps", "shedLockExecutor", "shedLock"));

  /** A step of a {@code RedisPartsBenchmark} method against the method's first step. */
  private static Check redisPart(String method, String step, String baseline) {
    String m = "RedisPartsBenchmark." + method + ":";
    return reported(m + step, m + baseline);
  }

  /** A step of a {@code PostgresPartsBenchmark} method against the method's first step. */
  private static Check postgresPart(String method, String step, String baseline) {
    String m = "PostgresPartsBenchmark." + method + ":";
    return reported(m + step, m + baseline);
  }

  private static Check minThroughput(
      String benchmark, String baseline, double target, boolean required) {
    return new Check(benchmark, baseline, Kind.MIN_THROUGHPUT_RATIO, target, required);
  }

  private static Check reported(String benchmark, String baseline) {
    return new Check(benchmark, baseline, Kind.REPORTED, Double.NaN, false);
  }

  /**
   * One benchmark's result.
   *
   * @param benchmark {@code Class.method}
   * @param params JMH parameters as {@code name=value} joined with ',', or empty
   * @param error the half-width of JMH's 99.9% confidence interval; NaN when unknown
   * @param unit JMH's score unit, such as {@code ns/op} or {@code ops/s}
   * @param paired per-iteration scores measured in step with another figure's (the sides of one
   *     self-timed benchmark), for a paired ratio; empty otherwise
   */
  record Figure(
      String benchmark,
      String params,
      int threads,
      double score,
      double error,
      String unit,
      List<Double> paired) {

    Figure {
      paired = List.copyOf(paired);
    }

    Figure(String benchmark, String params, int threads, double score, double error, String unit) {
      this(benchmark, params, threads, score, error, unit, List.of());
    }

    String label() {
      return params.isEmpty() ? benchmark : benchmark + " [" + params + "]";
    }
  }

  /** A line of the table; texts are ready to print. */
  record Row(
      String benchmark,
      int threads,
      String score,
      String unit,
      String ratio,
      String target,
      String verdict) {}

  /** Whether a measured figure met its target, judged on its confidence interval. */
  enum Verdict {
    /** The whole interval clears the target. */
    PASS,
    /** The interval reaches across the target: neither settled. */
    WITHIN_ERROR,
    /** The whole interval misses the target. */
    MISS,
    /** The point estimate meets the target but there is no interval to judge it by. */
    UNPROVEN;

    String text() {
      return name().replace('_', ' ');
    }
  }

  private final List<Check> checks;

  Report(List<Check> checks) {
    this.checks = List.copyOf(checks);
  }

  /** The report of the suite's own checks. */
  static Report ofSuite() {
    return new Report(CHECKS);
  }

  /**
   * The rows of {@code figures}: checked ones in the order of the checks, each group preceded by
   * its baseline, then any others as they came.
   */
  List<Row> rows(List<Figure> figures) {
    Map<String, Figure> byLabel = new LinkedHashMap<>();
    for (Figure f : figures) {
      byLabel.put(f.label(), f);
    }
    List<Row> rows = new ArrayList<>();
    List<String> done = new ArrayList<>();
    for (Figure f : sortedByChecks(figures)) {
      Check check = checkOf(f.benchmark());
      if (check != null) {
        Figure base = byLabel.get(labelOf(check.baseline(), f.params()));
        if (base != null && !done.contains(base.label())) {
          rows.add(baselineRow(base));
          done.add(base.label());
        }
        rows.add(checkedRow(f, check, base));
      } else if (!done.contains(f.label())) {
        rows.add(isBaseline(f.benchmark()) ? baselineRow(f) : plainRow(f));
      }
      done.add(f.label());
    }
    return rows;
  }

  private List<Figure> sortedByChecks(List<Figure> figures) {
    List<Figure> sorted = new ArrayList<>(figures);
    sorted.sort(Comparator.comparingInt(f -> order(f.benchmark())));
    return sorted;
  }

  private int order(String benchmark) {
    for (int i = 0; i < checks.size(); i++) {
      if (checks.get(i).benchmark().equals(benchmark)) {
        return i;
      }
    }
    return checks.size();
  }

  private @Nullable Check checkOf(String benchmark) {
    for (Check c : checks) {
      if (c.benchmark().equals(benchmark)) {
        return c;
      }
    }
    return null;
  }

  private boolean isBaseline(String benchmark) {
    return checks.stream().anyMatch(c -> c.baseline().equals(benchmark));
  }

  private static String labelOf(String benchmark, String params) {
    return params.isEmpty() ? benchmark : benchmark + " [" + params + "]";
  }

  private static Row baselineRow(Figure f) {
    return new Row(f.label(), f.threads(), score(f), f.unit(), "1 (baseline)", "", "");
  }

  private static Row plainRow(Figure f) {
    return new Row(f.label(), f.threads(), score(f), f.unit(), "", "", "");
  }

  private static Row checkedRow(Figure f, Check check, @Nullable Figure base) {
    String ratioText = "n/a (" + simpleName(check.baseline()) + " not run)";
    double ratio = Double.NaN;
    double ratioError = Double.NaN;
    if (base != null) {
      if (!f.paired().isEmpty() && f.paired().size() == base.paired().size()) {
        // measured in step: the mean of the per-iteration ratios, and their own interval
        ListStatistics ratios = new ListStatistics();
        for (int i = 0; i < f.paired().size(); i++) {
          ratios.addValue(f.paired().get(i) / base.paired().get(i));
        }
        ratio = ratios.getMean();
        ratioError = ratios.getN() > 1 ? ratios.getMeanErrorAt(0.999) : Double.NaN;
      } else {
        // measured apart: independent errors, propagated
        ratio = f.score() / base.score();
        ratioError =
            ratio
                * Math.hypot(relative(f.error(), f.score()), relative(base.error(), base.score()));
      }
      ratioText = number(ratio) + plusMinus(ratioError) + " vs " + simpleName(check.baseline());
    }
    String optional = check.required() ? "" : " (not required)";
    switch (check.kind()) {
      case MAX_NANOS_PER_OP:
        {
          double nanos = nanosPerOp(f.score(), f.unit());
          double nanosError = nanosPerOp(f.error(), f.unit());
          if (base != null) {
            ratioText +=
                ratio <= 1
                    ? " (" + number(1 / ratio) + "x faster)"
                    : " (" + number(ratio) + "x slower)";
          }
          String target = "<= " + number(check.target()) + " ns/op" + optional;
          String verdict = verdict(nanos <= check.target(), nanos, nanosError, check.target());
          return new Row(f.label(), f.threads(), score(f), f.unit(), ratioText, target, verdict);
        }
      case MAX_TIME_RATIO:
        {
          String target = "ratio <= " + number(check.target()) + optional;
          String verdict =
              base == null
                  ? "n/a"
                  : verdict(ratio <= check.target(), ratio, ratioError, check.target());
          return new Row(f.label(), f.threads(), score(f), f.unit(), ratioText, target, verdict);
        }
      case MIN_THROUGHPUT_RATIO:
        {
          String target = "ratio >= " + number(check.target()) + optional;
          String verdict =
              base == null
                  ? "n/a"
                  : verdict(ratio >= check.target(), ratio, ratioError, check.target());
          return new Row(f.label(), f.threads(), score(f), f.unit(), ratioText, target, verdict);
        }
      case REPORTED:
      default:
        return new Row(f.label(), f.threads(), score(f), f.unit(), ratioText, "(reported)", "");
    }
  }

  /**
   * The verdict of a figure against its target. PASS only when the whole confidence interval clears
   * the target; WITHIN ERROR when the interval reaches across it (whichever side the point estimate
   * is on, which is said in brackets); MISS when the whole interval misses it. A figure with no
   * interval (one iteration) that meets its target is UNPROVEN, never PASS.
   */
  static String verdict(boolean met, double value, double error, double target) {
    if (Double.isNaN(error)) {
      return met ? Verdict.UNPROVEN.text() + " (no interval)" : Verdict.MISS.text();
    }
    if (value - error <= target && target <= value + error) {
      return Verdict.WITHIN_ERROR.text()
          + (met ? " (point estimate meets the target)" : " (point estimate misses the target)");
    }
    return (met ? Verdict.PASS : Verdict.MISS).text();
  }

  private static double relative(double error, double score) {
    return Double.isNaN(error) || score == 0 ? 0 : error / score;
  }

  /** {@code value} in nanoseconds per operation, from a JMH time unit such as {@code us/op}. */
  static double nanosPerOp(double value, String unit) {
    return switch (unit) {
      case "ns/op" -> value;
      case "us/op" -> value * 1e3;
      case "ms/op" -> value * 1e6;
      case "s/op" -> value * 1e9;
      default -> throw new IllegalArgumentException("not a time per operation: " + unit);
    };
  }

  private static String score(Figure f) {
    return number(f.score()) + plusMinus(f.error());
  }

  private static String plusMinus(double error) {
    return Double.isNaN(error) ? "" : " +- " + number(error);
  }

  /** Three significant digits, at least; no exponent; '.' as the decimal point. */
  static String number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    double a = Math.abs(v);
    String pattern;
    if (a >= 100 || a == 0) {
      pattern = "%.0f";
    } else if (a >= 10) {
      pattern = "%.1f";
    } else if (a >= 1) {
      pattern = "%.2f";
    } else if (a >= 0.1) {
      pattern = "%.3f";
    } else {
      pattern = "%.4f";
    }
    return String.format(Locale.ROOT, pattern, v);
  }

  private static String simpleName(String benchmark) {
    int dot = benchmark.lastIndexOf('.');
    return dot < 0 ? benchmark : benchmark.substring(dot + 1);
  }

  // ---- rendering ----------------------------------------------------------------------------

  private static final String[] HEADERS = {
    "Benchmark", "Threads", "Score +- error", "Unit", "Ratio to baseline", "Target", "Verdict"
  };

  private static String[] cells(Row r) {
    return new String[] {
      r.benchmark(),
      Integer.toString(r.threads()),
      r.score(),
      r.unit(),
      r.ratio(),
      r.target(),
      r.verdict()
    };
  }

  /** The rows as an aligned plain-text table. */
  static String text(List<Row> rows) {
    int[] widths = new int[HEADERS.length];
    for (int i = 0; i < HEADERS.length; i++) {
      widths[i] = HEADERS[i].length();
    }
    for (Row r : rows) {
      String[] c = cells(r);
      for (int i = 0; i < c.length; i++) {
        widths[i] = Math.max(widths[i], c[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    appendLine(sb, HEADERS, widths);
    for (Row r : rows) {
      appendLine(sb, cells(r), widths);
    }
    return sb.toString();
  }

  private static void appendLine(StringBuilder sb, String[] cells, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        line.append("  ");
      }
      boolean right = i == 1 || i == 2;
      String pad = " ".repeat(widths[i] - cells[i].length());
      line.append(right ? pad + cells[i] : cells[i] + pad);
    }
    sb.append(line.toString().stripTrailing()).append('\n');
  }

  /** The rows as a GitHub markdown table (UTF-8: ±, ≤, ≥ instead of +-, <=, >=). */
  static String markdown(List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(prettify(String.join(" | ", HEADERS))).append(" |\n");
    sb.append("|---|--:|--:|---|---|---|---|\n");
    for (Row r : rows) {
      String[] c = cells(r);
      for (int i = 0; i < c.length; i++) {
        c[i] = prettify(c[i].replace("|", "\\|"));
      }
      c[0] = "`" + c[0] + "`";
      sb.append("| ").append(String.join(" | ", c)).append(" |\n");
    }
    return sb.toString();
  }

  private static String prettify(String ascii) {
    return ascii.replace("+-", "\u00b1").replace("<=", "\u2264").replace(">=", "\u2265");
  }
}
