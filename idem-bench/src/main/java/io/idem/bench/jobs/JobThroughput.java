package io.idem.bench.jobs;

import io.idem.testkit.servers.PostgresServer;
import io.idem.testkit.servers.TestServers;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The side-by-side job-queue run of the issue: "enqueue + execute throughput of 100,000 no-op
 * unique jobs against db-scheduler and JobRunr, same run, same PostgreSQL; target at least 2 times
 * the better of the two. Unique enqueue vs plain enqueue: overhead at most 15 %."
 *
 * <p>Each run of a contender: a fresh database on the one PostgreSQL of the run ({@link
 * TestServers#postgres()}: started from the Maven Central binaries in this JVM, or the server at
 * {@code IDEM_TEST_PG_URL}), a HikariCP pool of the same size for everyone, the same number of
 * worker threads, the engine set up and its workers started on the empty queue; then, clock
 * running, N jobs enqueued from one thread through the engine's batch API, each with a distinct
 * unique key (or id), and the clock stops when the no-op handler has seen every job once. Reported:
 * the enqueue time, the time of the first execution, the total time and jobs/s (N / total), then,
 * not timed, how long until the engine's own storage holds all N as finished, and any job executed
 * twice. Contenders take turns in a rotating order, each round; the summary gives the median over
 * rounds and the ratios against the targets. Idem also runs N plain jobs (no unique key) each
 * round, for the unique-vs-plain overhead.
 *
 * <p>Read the figures with: the managed PostgreSQL runs with {@code fsync} off (the test kit's
 * {@code -F}), so commits are cheap and an engine that commits more per job is penalised less than
 * on a real disk; JobRunr cannot poll more often than every 5 s, so its first pick-up comes up to 5
 * s after the first enqueue ("first run ms"; "after 1st run jobs/s" in the summary leaves that wait
 * out); everything (PostgreSQL, the engines, the enqueuing thread) shares the machine's cores. Not
 * measured: jobs that do work, many worker processes, duplicates submitted (every key of a run is
 * new), retries, scheduled jobs.
 *
 * <p>One whole run is one measurement (not JMH). Run it with:
 *
 * <pre>{@code
 * mvn -B -q -pl idem-bench package -Dspotless.check.skip=true
 * java -cp idem-bench/target/idem-bench.jar io.idem.bench.jobs.JobThroughput --jobs 100000 --rounds 3
 * java -jar idem-bench/target/idem-bench.jar jobs --jobs 20000          # the same, through the runner
 * }</pre>
 *
 * Options: {@code --jobs N} (100,000), {@code --rounds R} (1), {@code --threads T} (8), {@code
 * --pool P} (16), {@code --batch B} (1,000), {@code --warmup N} (jobs per contender before the
 * measured rounds, 2,000; 0 for none), {@code --contenders a,b} (default all available: idem,
 * db-scheduler, jobrunr), {@code --plain-peers} (also run the peers without unique ids, where they
 * can), {@code --rewrite-batched-inserts} (pgjdbc's {@code reWriteBatchedInserts=true} on every
 * pool), {@code --timeout S} (per run, 900 s), {@code --markdown FILE}.
 */
public final class JobThroughput {

  /** The target: Idem's unique jobs/s at least this times the better peer's. */
  static final double TARGET_RATIO = 2.0;

  /** The target: unique jobs cost at most this much more time than plain ones. */
  static final double TARGET_UNIQUE_OVERHEAD = 0.15;

  private static final String USAGE =
      String.join(
          "\n",
          "Usage: java -cp idem-bench.jar io.idem.bench.jobs.JobThroughput [options]",
          "  --jobs N                jobs per run (default 100000)",
          "  --rounds R              measured rounds; contenders take turns (default 1)",
          "  --threads T             worker threads of every contender (default 8)",
          "  --pool P                connections of every contender's pool (default 16)",
          "  --batch B               jobs per batch enqueue call (default 1000; JobRunr: 5000)",
          "  --warmup N              unmeasured jobs per contender first (default 2000, 0: none)",
          "  --contenders a,b        of idem, db-scheduler, jobrunr (default: all available)",
          "  --plain-peers           also run the peers with plain jobs, where they have them",
          "  --rewrite-batched-inserts  pgjdbc reWriteBatchedInserts=true on every pool",
          "  --timeout S             seconds per run before it fails (default 900)",
          "  --markdown FILE         also write the tables as markdown",
          "  --help                  this text");

  /** The contenders, in table order. */
  static final Map<String, Supplier<Contender>> CONTENDERS = new LinkedHashMap<>();

  static {
    CONTENDERS.put("idem", IdemContender::new);
    CONTENDERS.put("db-scheduler", DbSchedulerContender::new);
    CONTENDERS.put("jobrunr", JobRunrContender::new);
  }

  private JobThroughput() {}

  /** Whether a contender can run now (Idem's only once {@link IdemContender} is completed). */
  static boolean available(String name) {
    return !name.equals("idem") || IdemContender.AVAILABLE;
  }

  /** The command line, parsed. */
  record Args(
      int jobs,
      int rounds,
      int threads,
      int pool,
      int batch,
      int warmup,
      List<String> contenders,
      boolean plainPeers,
      boolean rewriteBatchedInserts,
      Duration timeout,
      @Nullable Path markdown,
      boolean help) {

    static Args parse(String... args) {
      int jobs = 100_000;
      int rounds = 1;
      int threads = 8;
      int pool = 16;
      int batch = 1000;
      int warmup = 2000;
      List<String> contenders = null;
      boolean plainPeers = false;
      boolean rewrite = false;
      Duration timeout = Duration.ofSeconds(900);
      Path markdown = null;
      boolean help = false;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--jobs" -> jobs = count(value(args, ++i, a), a, 1);
          case "--rounds" -> rounds = count(value(args, ++i, a), a, 1);
          case "--threads" -> threads = count(value(args, ++i, a), a, 1);
          case "--pool" -> pool = count(value(args, ++i, a), a, 2);
          case "--batch" -> batch = count(value(args, ++i, a), a, 1);
          case "--warmup" -> warmup = count(value(args, ++i, a), a, 0);
          case "--timeout" -> timeout = Duration.ofSeconds(count(value(args, ++i, a), a, 1));
          case "--markdown" -> markdown = Path.of(value(args, ++i, a));
          case "--plain-peers" -> plainPeers = true;
          case "--rewrite-batched-inserts" -> rewrite = true;
          case "--contenders" -> {
            contenders = new ArrayList<>();
            for (String c : value(args, ++i, a).split(",")) {
              String name = c.trim().toLowerCase(Locale.ROOT);
              if (!CONTENDERS.containsKey(name)) {
                throw new IllegalArgumentException(
                    "unknown contender \"" + c.trim() + "\"; known: " + CONTENDERS.keySet());
              }
              if (!contenders.contains(name)) {
                contenders.add(name);
              }
            }
          }
          case "--help", "-h" -> help = true;
          default -> throw new IllegalArgumentException("unknown option \"" + a + "\"");
        }
      }
      if (contenders == null) {
        contenders = new ArrayList<>();
        for (String name : CONTENDERS.keySet()) {
          if (available(name)) {
            contenders.add(name);
          }
        }
      }
      return new Args(
          jobs,
          rounds,
          threads,
          pool,
          batch,
          warmup,
          List.copyOf(contenders),
          plainPeers,
          rewrite,
          timeout,
          markdown,
          help);
    }

    RunSettings settings() {
      return new RunSettings(threads, pool, batch);
    }

    private static int count(String v, String option, int min) {
      int n;
      try {
        n = Integer.parseInt(v.replace("_", ""));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " must be a number, but was \"" + v + "\"");
      }
      if (n < min) {
        throw new IllegalArgumentException(option + " must be at least " + min + ", but was " + n);
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

  /**
   * One measured run.
   *
   * @param round 0 for a warm-up run
   * @param enqueueNanos from the first enqueue call until all jobs are stored
   * @param firstNanos from the first enqueue call until the first execution
   * @param totalNanos from the first enqueue call until every job ran once
   * @param settleNanos after that, until the engine's storage held every job as finished
   * @param executions handler calls, duplicates included
   * @param load the 1-minute load average after the run (-1 where unknown)
   * @param failure why the run did not finish (timings then 0), else null
   */
  record Result(
      String contender,
      boolean unique,
      int round,
      int jobs,
      long enqueueNanos,
      long firstNanos,
      long totalNanos,
      long settleNanos,
      int executions,
      double load,
      @Nullable String failure) {

    /** A run that did not finish: not in the medians, named in the verdicts. */
    static Result failed(
        String contender, boolean unique, int round, int jobs, int executions, String why) {
      return new Result(
          contender, unique, round, jobs, 0, 0, 0, 0, executions, JobThroughput.load(), why);
    }

    boolean finished() {
      return failure == null;
    }

    String mode() {
      return unique ? "unique" : "plain";
    }

    double jobsPerSecond() {
      return jobs * 1e9 / totalNanos;
    }

    double enqueuePerSecond() {
      return jobs * 1e9 / enqueueNanos;
    }

    /** Jobs/s from the first execution on (leaves out the wait for the first pick-up). */
    double afterFirstPerSecond() {
      return jobs * 1e9 / Math.max(1, totalNanos - firstNanos);
    }

    int duplicates() {
      return executions - jobs;
    }
  }

  public static void main(String[] argv) throws Exception {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    // JobRunr warns on every enqueue batch whose default filter took over 10 ms (on a busy machine)
    String filters = "org.slf4j.simpleLogger.log.org.jobrunr.jobs.filters";
    if (System.getProperty(filters) == null) {
      System.setProperty(filters, "error");
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
    PrintStream out = System.out;
    List<Result> results = run(args, out);
    String text = report(args, results, false);
    out.println();
    out.print(text);
    if (args.markdown() != null) {
      String md =
          preamble(args, TestServers.postgres()).replace("\n  ", "\n- ")
              + "\n\n"
              + report(args, results, true);
      Files.writeString(args.markdown(), md, StandardCharsets.UTF_8);
      out.println();
      out.println("Markdown written to " + args.markdown().toAbsolutePath());
    }
    // at once, whatever thread a peer left behind (a shutdown hook stops the managed PostgreSQL)
    System.exit(0);
  }

  /** Warm-up, then the measured rounds; prints one line per run as it ends. */
  static List<Result> run(Args args, PrintStream out) throws Exception {
    for (String name : args.contenders()) {
      if (!available(name)) {
        throw new IllegalArgumentException(
            name + " is not available yet (IdemContender is to be completed)");
      }
    }
    PostgresServer pg = TestServers.postgres();
    RunSettings settings = args.settings();
    out.println(preamble(args, pg));
    out.println(header(false));
    List<Result> results = new ArrayList<>();
    if (args.warmup() > 0) {
      for (String name : args.contenders()) {
        Result r = runOrFail(pg, name, settings, args.warmup(), true, 0, args);
        out.println(line(r, false));
      }
    }
    List<String> order = new ArrayList<>(args.contenders());
    for (int round = 1; round <= args.rounds(); round++) {
      for (String name : order) {
        boolean plain = withPlain(name, args);
        // unique first in odd rounds, plain first in even ones
        boolean[] modes =
            !plain ? new boolean[] {true} : new boolean[] {round % 2 == 1, round % 2 == 0};
        for (boolean unique : modes) {
          Result r = runOrFail(pg, name, settings, args.jobs(), unique, round, args);
          results.add(r);
          out.println(line(r, false));
        }
      }
      order.add(order.remove(0)); // the next round starts with the next contender
    }
    return results;
  }

  /**
   * {@link #runOnce}, or a failed result when the run does not finish (a timeout, an engine's
   * error), so that the other contenders still run.
   */
  static Result runOrFail(
      PostgresServer pg,
      String name,
      RunSettings settings,
      int jobs,
      boolean unique,
      int round,
      Args args) {
    try {
      return runOnce(pg, name, settings, jobs, unique, round, args);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (Exception e) {
      String why = e.getClass().getSimpleName() + ": " + e.getMessage();
      Executions last = Executions.current();
      return Result.failed(name, unique, round, jobs, last.total(), why);
    }
  }

  /** Whether {@code name} also runs plain jobs in this run. */
  static boolean withPlain(String name, Args args) {
    Contender c = CONTENDERS.get(name).get();
    return c.supportsPlain() && (name.equals("idem") || args.plainPeers());
  }

  /** One run of one contender on a fresh database. */
  static Result runOnce(
      PostgresServer pg,
      String name,
      RunSettings settings,
      int jobs,
      boolean unique,
      int round,
      Args args)
      throws Exception {
    Contender contender = CONTENDERS.get(name).get();
    System.gc();
    Executions executions = Executions.start(jobs);
    try (FreshDatabase db =
        FreshDatabase.create(pg, name, settings.poolSize(), args.rewriteBatchedInserts())) {
      try {
        contender.setUp(db.pool(), settings, executions);
        contender.startWorkers();
        long start = System.nanoTime();
        contender.enqueue(jobs, unique);
        long enqueued = System.nanoTime();
        executions.await(args.timeout());
        long done = executions.lastNanos();
        long deadline = start + args.timeout().toNanos();
        long unfinished;
        while ((unfinished = contender.unfinished()) > 0) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                name + ": every job ran, but its storage still has " + unfinished + " unfinished");
          }
          Thread.sleep(5);
        }
        long settled = System.nanoTime();
        if (executions.outOfRange() > 0) {
          throw new IllegalStateException(
              name + ": " + executions.outOfRange() + " executions of unknown jobs");
        }
        return new Result(
            name,
            unique,
            round,
            jobs,
            enqueued - start,
            executions.firstNanos() - start,
            done - start,
            Math.max(0, settled - done),
            executions.total(),
            load(),
            null);
      } finally {
        contender.tearDown();
      }
    }
  }

  /** The 1-minute load average, or -1 where {@code /proc/loadavg} is not readable. */
  static double load() {
    try {
      String s = Files.readString(Path.of("/proc/loadavg"));
      return Double.parseDouble(s.substring(0, s.indexOf(' ')));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The machine line and each contender's settings, one per line. */
  static String preamble(Args args, PostgresServer pg) {
    StringBuilder b = new StringBuilder(machine(args, pg));
    for (String name : args.contenders()) {
      b.append("\n  ").append(name).append(": ");
      b.append(CONTENDERS.get(name).get().settings(args.settings()));
    }
    if (!available("idem")) {
      b.append("\n  idem: pending (IdemContender is to be completed); the peers run alone");
    }
    return b.toString();
  }

  static String machine(Args args, PostgresServer pg) {
    return "Job throughput, "
        + OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
        + "; "
        + Runtime.getRuntime().availableProcessors()
        + " CPUs; "
        + System.getProperty("java.vm.name")
        + " "
        + System.getProperty("java.runtime.version")
        + "; PostgreSQL "
        + pg
        + "; "
        + args.jobs()
        + " jobs x "
        + args.rounds()
        + " round(s), "
        + args.threads()
        + " worker threads, pool "
        + args.pool()
        + ", batch "
        + args.batch()
        + (args.rewriteBatchedInserts() ? ", reWriteBatchedInserts" : "")
        + ", warm-up "
        + args.warmup()
        + " jobs each";
  }

  // ---- tables --------------------------------------------------------------------------------

  private static final String[] COLUMNS = {
    "round",
    "contender",
    "mode",
    "jobs",
    "enqueue s",
    "enqueue jobs/s",
    "first run ms",
    "total s",
    "jobs/s",
    "settled +ms",
    "duplicates",
    "load"
  };

  static String header(boolean markdown) {
    return row(markdown, COLUMNS)
        + (markdown ? "\n|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|" : "");
  }

  static String line(Result r, boolean markdown) {
    if (!r.finished()) {
      return row(
          markdown,
          r.round() == 0 ? "warm-up" : Integer.toString(r.round()),
          r.contender(),
          r.mode(),
          Integer.toString(r.jobs()),
          "FAILED after " + r.executions() + " executions: " + r.failure());
    }
    return row(
        markdown,
        r.round() == 0 ? "warm-up" : Integer.toString(r.round()),
        r.contender(),
        r.mode(),
        Integer.toString(r.jobs()),
        fixed(r.enqueueNanos() / 1e9, 2),
        fixed(r.enqueuePerSecond(), 0),
        fixed(r.firstNanos() / 1e6, 0),
        fixed(r.totalNanos() / 1e9, 2),
        fixed(r.jobsPerSecond(), 0),
        fixed(r.settleNanos() / 1e6, 0),
        Integer.toString(r.duplicates()),
        r.load() < 0 ? "?" : fixed(r.load(), 2));
  }

  private static String row(boolean markdown, String... cells) {
    if (markdown) {
      return "| " + String.join(" | ", cells) + " |";
    }
    StringBuilder b = new StringBuilder();
    int[] widths = {7, 13, 7, 7, 10, 15, 13, 9, 9, 12, 11, 6};
    for (int i = 0; i < cells.length; i++) {
      String c = cells[i];
      b.append(i < 3 ? pad(c, widths[i]) : padLeft(c, widths[i])).append(' ');
    }
    return b.toString().stripTrailing();
  }

  private static String pad(String s, int w) {
    return s.length() >= w ? s : s + " ".repeat(w - s.length());
  }

  private static String padLeft(String s, int w) {
    return s.length() >= w ? s : " ".repeat(w - s.length()) + s;
  }

  static String fixed(double v, int decimals) {
    return String.format(Locale.ROOT, "%,." + decimals + "f", v);
  }

  /**
   * The median over the finished measured rounds of {@code contender} in {@code mode}, with the
   * number of measured rounds that did not finish; null when no measured round of it finished.
   */
  static @Nullable Summary summary(List<Result> results, String contender, boolean unique) {
    List<Result> runs = new ArrayList<>();
    int failed = 0;
    for (Result r : results) {
      if (r.round() > 0 && r.contender().equals(contender) && r.unique() == unique) {
        if (r.finished()) {
          runs.add(r);
        } else {
          failed++;
        }
      }
    }
    if (runs.isEmpty()) {
      return null;
    }
    double[] total = runs.stream().mapToDouble(Result::jobsPerSecond).sorted().toArray();
    double[] enqueue = runs.stream().mapToDouble(Result::enqueuePerSecond).sorted().toArray();
    double[] after = runs.stream().mapToDouble(Result::afterFirstPerSecond).sorted().toArray();
    return new Summary(
        contender,
        unique,
        runs.size(),
        failed,
        median(total),
        total[0],
        total[total.length - 1],
        median(enqueue),
        enqueue[0],
        enqueue[enqueue.length - 1],
        median(after));
  }

  /**
   * Median, min and max jobs/s over the finished rounds; the median, min and max enqueue rate and
   * the median rate from the first execution on; {@code failed} measured rounds did not finish
   * (they are in none of the figures, and a verdict that leans on them says INCOMPLETE).
   */
  record Summary(
      String contender,
      boolean unique,
      int rounds,
      int failed,
      double jobsPerSecond,
      double min,
      double max,
      double enqueuePerSecond,
      double enqueueMin,
      double enqueueMax,
      double afterFirstPerSecond) {

    /** "3", or "2 (+1 failed)" when rounds did not finish. */
    String roundsText() {
      return failed == 0 ? Integer.toString(rounds) : rounds + " (+" + failed + " failed)";
    }
  }

  /**
   * The verdict of a ratio whose range over rounds is [{@code low}, {@code high}] against a
   * minimum: PASS only when the whole range clears it, WITHIN ERROR when the range reaches across
   * it, MISS when all of it misses; with fewer than two rounds on a side there is no range, and a
   * point that meets the target is UNPROVEN. Rounds that did not finish make it INCOMPLETE.
   */
  static String rangeVerdict(
      double point, double low, double high, double min, boolean ranged, String failures) {
    if (!failures.isEmpty()) {
      return "INCOMPLETE (" + failures + ")";
    }
    if (!ranged) {
      return point >= min ? "UNPROVEN (one round: no range; run --rounds 3)" : "MISS";
    }
    if (low >= min) {
      return "PASS";
    }
    if (high < min) {
      return "MISS";
    }
    return point >= min
        ? "WITHIN ERROR (the median meets the target; the range over rounds reaches across it)"
        : "WITHIN ERROR (the median misses the target; the range over rounds reaches across it)";
  }

  private static String failures(Summary... summaries) {
    List<String> parts = new ArrayList<>();
    for (Summary s : summaries) {
      if (s != null && s.failed() > 0) {
        parts.add(
            s.contender()
                + " "
                + (s.unique() ? "unique" : "plain")
                + " failed "
                + s.failed()
                + " of "
                + (s.rounds() + s.failed())
                + " rounds");
      }
    }
    return String.join(", ", parts);
  }

  static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** The per-run table, the medians and the two targets. */
  static String report(Args args, List<Result> results, boolean markdown) {
    StringBuilder b = new StringBuilder();
    String nl = "\n";
    b.append(header(markdown)).append(nl);
    for (Result r : results) {
      b.append(line(r, markdown)).append(nl);
    }
    b.append(nl);
    b.append(
            row(
                markdown,
                "median",
                "contender",
                "mode",
                "rounds",
                "jobs/s",
                "min",
                "max",
                "enqueue jobs/s",
                "after 1st run jobs/s"))
        .append(nl);
    if (markdown) {
      b.append("|---|---|---|--:|--:|--:|--:|--:|--:|").append(nl);
    }
    for (String name : CONTENDERS.keySet()) {
      for (boolean unique : new boolean[] {true, false}) {
        Summary s = summary(results, name, unique);
        if (s != null) {
          b.append(
                  row(
                      markdown,
                      "",
                      name,
                      unique ? "unique" : "plain",
                      s.roundsText(),
                      fixed(s.jobsPerSecond(), 0),
                      fixed(s.min(), 0),
                      fixed(s.max(), 0),
                      fixed(s.enqueuePerSecond(), 0),
                      fixed(s.afterFirstPerSecond(), 0)))
              .append(nl);
        }
      }
    }
    b.append(nl);
    for (String verdict : verdicts(results)) {
      b.append(markdown ? "- " : "").append(verdict).append(nl);
    }
    return b.toString();
  }

  /** The two targets of the issue, and how the peers compare, in words. */
  static List<String> verdicts(List<Result> results) {
    List<String> lines = new ArrayList<>();
    Summary idem = summary(results, "idem", true);
    Summary idemPlain = summary(results, "idem", false);
    Summary best = null;
    for (String peer : List.of("db-scheduler", "jobrunr")) {
      Summary s = summary(results, peer, true);
      if (s != null && (best == null || s.jobsPerSecond() > best.jobsPerSecond())) {
        best = s;
      }
    }
    Summary dbs = summary(results, "db-scheduler", true);
    Summary jr = summary(results, "jobrunr", true);
    if (dbs != null && jr != null) {
      lines.add(
          "peers: db-scheduler "
              + fixed(dbs.jobsPerSecond(), 0)
              + " jobs/s, JobRunr "
              + fixed(jr.jobsPerSecond(), 0)
              + " jobs/s (db-scheduler / JobRunr = "
              + fixed(dbs.jobsPerSecond() / jr.jobsPerSecond(), 2)
              + ")");
    }
    for (Result r : results) {
      if (!r.finished()) {
        lines.add(
            r.contender()
                + " "
                + r.mode()
                + (r.round() == 0 ? " (warm-up)" : " (round " + r.round() + ")")
                + " did not finish "
                + r.jobs()
                + " jobs ("
                + r.executions()
                + " executions): "
                + r.failure());
      }
    }
    if (idem == null && best != null && failed(results, "idem", true)) {
      lines.add(
          "target Idem unique >= "
              + fixed(TARGET_RATIO, 1)
              + " x the better peer: MISS (Idem did not finish; it needs >= "
              + fixed(TARGET_RATIO * best.jobsPerSecond(), 0)
              + " jobs/s here)");
    } else if (idem == null || best == null) {
      lines.add(
          "target Idem unique >= "
              + fixed(TARGET_RATIO, 1)
              + " x the better peer: "
              + (best == null
                  ? "no peer ran"
                  : "PENDING (Idem did not run); to meet it Idem needs >= "
                      + fixed(TARGET_RATIO * best.jobsPerSecond(), 0)
                      + " jobs/s here ("
                      + best.contender()
                      + " x "
                      + fixed(TARGET_RATIO, 1)
                      + ")"));
    } else {
      double ratio = idem.jobsPerSecond() / best.jobsPerSecond();
      double low = idem.min() / best.max();
      double high = idem.max() / best.min();
      boolean ranged = idem.rounds() > 1 && best.rounds() > 1;
      lines.add(
          "target Idem unique >= "
              + fixed(TARGET_RATIO, 1)
              + " x the better peer ("
              + best.contender()
              + "): "
              + fixed(ratio, 2)
              + " x"
              + (ranged ? " (" + fixed(low, 2) + "–" + fixed(high, 2) + " over rounds)" : "")
              + " -> "
              + rangeVerdict(ratio, low, high, TARGET_RATIO, ranged, failures(idem, dbs, jr)));
    }
    if (idem == null || idemPlain == null) {
      lines.add(
          "target unique vs plain overhead <= "
              + fixed(TARGET_UNIQUE_OVERHEAD * 100, 0)
              + " %: PENDING (no finished Idem runs of both unique and plain jobs)");
    } else {
      // overhead in time: plain rate / unique rate - 1
      double total = idemPlain.jobsPerSecond() / idem.jobsPerSecond() - 1;
      double enqueue = idemPlain.enqueuePerSecond() / idem.enqueuePerSecond() - 1;
      double low = idemPlain.enqueueMin() / idem.enqueueMax() - 1;
      double high = idemPlain.enqueueMax() / idem.enqueueMin() - 1;
      boolean ranged = idem.rounds() > 1 && idemPlain.rounds() > 1;
      // at most the target: judged as "minus the overhead at least minus the target"
      lines.add(
          "target unique vs plain overhead <= "
              + fixed(TARGET_UNIQUE_OVERHEAD * 100, 0)
              + " %: enqueue "
              + fixed(enqueue * 100, 1)
              + " %"
              + (ranged
                  ? " (" + fixed(low * 100, 1) + "–" + fixed(high * 100, 1) + " % over rounds)"
                  : "")
              + " -> "
              + rangeVerdict(
                  -enqueue, -high, -low, -TARGET_UNIQUE_OVERHEAD, ranged, failures(idem, idemPlain))
              + "; enqueue + execute "
              + fixed(total * 100, 1)
              + " % (reported)");
    }
    return lines;
  }

  private static boolean failed(List<Result> results, String contender, boolean unique) {
    for (Result r : results) {
      if (r.round() > 0 && !r.finished() && r.contender().equals(contender)) {
        if (r.unique() == unique) {
          return true;
        }
      }
    }
    return false;
  }

  /** For {@code RunBenchmarks jobs ...}: the arguments after the sub-command. */
  public static void fromRunner(String[] argv) throws Exception {
    main(Arrays.copyOfRange(argv, 1, argv.length));
  }
}
