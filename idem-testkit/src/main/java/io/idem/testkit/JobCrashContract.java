package io.idem.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.idem.Idem;
import io.idem.IdemPolicy;
import io.idem.InProgressPolicy;
import io.idem.Outcome;
import io.idem.job.Job;
import io.idem.job.JobQuery;
import io.idem.job.JobRequest;
import io.idem.job.JobState;
import io.idem.job.JobStats;
import io.idem.job.Jobs;
import io.idem.job.RetryPolicy;
import io.idem.job.Unique;
import io.idem.job.WorkerOptions;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.JobStore;
import io.idem.spi.RecordState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Effects under crashes: worker JVMs (child processes) run {@value #JOBS} jobs whose handler runs
 * its body through {@code Idem.once} under the job's idempotency key, while the test kills workers
 * with kill -9 ({@link Process#destroyForcibly}) at random moments and starts new ones.
 *
 * <p>The body's effect is outside the store: it appends a line to an execution log (one file per
 * worker, opened for append and synced): the job id, the worker, the job's attempt and the body's
 * value, which is unique to the execution (a random nonce). At the end the test checks what the
 * design promises:
 *
 * <ul>
 *   <li>every job SUCCEEDED;
 *   <li>each job has one COMPLETED idempotency record, and the job's result is that record's value
 *       (an attempt after a crash replayed it instead of recording another);
 *   <li>that value is one of the job's logged executions, so the recorded result is the result of a
 *       body that ran, and each job's body ran at least once;
 *   <li>a job's body ran at most as many times as its key was claimed (each claim runs one body).
 * </ul>
 *
 * <p>It does not check that each body ran once: a worker killed after the body started and before
 * its result was recorded leaves an execution in the log, and the attempt that takes the key over
 * once its lease passed runs the body again. The test prints how many bodies ran more than once.
 *
 * <p>A store module's test extends this class, says how the parent opens the stores, and names a
 * main class that opens the same stores in a child and calls {@link #runWorker}.
 */
public abstract class JobCrashContract {

  /** How many jobs a run has. */
  protected static final int JOBS = 1000;

  /**
   * The lease of workers and of idempotency claims in the children: short, so crashes heal fast.
   */
  protected static final Duration LEASE = Duration.ofSeconds(2);

  private static final String TYPE = "crash.effect";

  @TempDir protected Path dir;
  private final List<Process> children = new ArrayList<>();

  /** The parent's job store, on the backend the children use. */
  protected abstract JobStore parentJobStore() throws Exception;

  /** The parent's idempotency store, on the backend the children use. */
  protected abstract IdempotencyStore parentIdempotencyStore() throws Exception;

  /** A main class that opens the stores from its arguments and calls {@link #runWorker}. */
  protected abstract Class<?> childMain();

  /** The arguments of {@link #childMain} after the worker id. */
  protected abstract List<String> childArgs() throws Exception;

  @AfterEach
  void killChildren() {
    children.forEach(Process::destroyForcibly);
  }

  /** The args of one crash job. */
  public record Work(int n) {}

  /** The system property that names a child's execution log; {@link #startChild} sets it. */
  public static final String EXECUTION_LOG_PROPERTY = "idem.crash.executionLog";

  /** One logged execution of a body. */
  private record Execution(String job, String worker, int attempt, String value) {}

  /**
   * Runs a crash-test worker on the stores until the process is killed. The handler calls {@code
   * Idem.once} under the job's idempotency key with a body that appends {@code <job id> TAB
   * <worker> TAB <attempt> TAB <value>} to the execution log named by {@value
   * #EXECUTION_LOG_PROPERTY} and returns the value {@code effect:<job
   * id>:<worker>:<attempt>:<nonce>}; it pauses a little after the log line and after the call, so
   * that kills land between the effect and the recorded result, and between the recorded result and
   * the job's completion.
   */
  public static void runWorker(JobStore jobStore, IdempotencyStore idemStore, String workerId)
      throws IOException, InterruptedException {
    String logName = System.getProperty(EXECUTION_LOG_PROPERTY);
    if (logName == null) {
      throw new IllegalStateException("no -D" + EXECUTION_LOG_PROPERTY + "=<file>");
    }
    // DSYNC: each line is on disk when its write returns, as a downstream system's record would be
    // (a kill -9 loses nothing already written anyway: the kernel has it)
    FileChannel log =
        FileChannel.open(
            Path.of(logName),
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.APPEND,
            StandardOpenOption.DSYNC);
    Idem idem = Idem.builder(idemStore).noBackgroundPurge().build();
    IdemPolicy policy =
        IdemPolicy.builder()
            .lease(LEASE)
            .onInProgress(InProgressPolicy.waitUpTo(LEASE.multipliedBy(3)))
            .build();
    Jobs jobs =
        Jobs.builder(jobStore)
            .defaultRetry(RetryPolicy.exponential(Duration.ofMillis(50), Duration.ofMillis(500)))
            .build();
    jobs.register(
        TYPE,
        Work.class,
        ctx -> {
          String job = ctx.job().id();
          Outcome<String> o =
              idem.once(
                  ctx.idempotencyKey(),
                  ctx.args(),
                  policy,
                  () -> {
                    String value =
                        "effect:"
                            + job
                            + ":"
                            + workerId
                            + ":"
                            + ctx.attempt()
                            + ":"
                            + UUID.randomUUID();
                    append(log, job + "\t" + workerId + "\t" + ctx.attempt() + "\t" + value + "\n");
                    Thread.sleep(ThreadLocalRandom.current().nextInt(40));
                    return value;
                  });
          Thread.sleep(ThreadLocalRandom.current().nextInt(20));
          return o.value();
        });
    jobs.startWorker(
        WorkerOptions.defaults()
            .workerId(workerId)
            .concurrency(8)
            .prefetch(8) // jobs claimed ahead die with the worker too: recovered by lease
            .lease(LEASE)
            .heartbeatEvery(Duration.ofMillis(400))
            .pollInterval(Duration.ofMillis(200))
            .maintenanceInterval(Duration.ofMillis(500)));
    System.out.println("WORKER READY " + workerId);
    System.out.flush();
    Thread.currentThread().join(); // until killed
  }

  /** Appends {@code line} whole: the handler threads of a worker share the channel. */
  private static void append(FileChannel log, String line) {
    ByteBuffer bytes = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
    synchronized (log) {
      try {
        while (bytes.hasRemaining()) {
          log.write(bytes);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private Process startChild(String workerId) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("-Xmx256m");
    cmd.add("-D" + EXECUTION_LOG_PROPERTY + "=" + executionLog(workerId));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(childMain().getName());
    cmd.add(workerId);
    cmd.addAll(childArgs());
    Path log = dir.resolve(workerId + ".log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    children.add(p);
    return p;
  }

  private Path executionLog(String workerId) {
    return dir.resolve("executions-" + workerId + ".txt");
  }

  /**
   * The executions of every worker's log, by job. A line cut short by a kill is left out: its body
   * never returned, so no result of it can be recorded.
   */
  private Map<String, List<Execution>> readExecutions() throws IOException {
    Map<String, List<Execution>> byJob = new HashMap<>();
    try (var files = Files.list(dir)) {
      for (Path p :
          files.filter(f -> f.getFileName().toString().startsWith("executions-")).toList()) {
        String text = Files.readString(p, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        if (end < 0) {
          continue;
        }
        for (String line : text.substring(0, end).split("\n")) {
          String[] f = line.split("\t");
          assertThat(f).as("a line of %s: %s", p.getFileName(), line).hasSize(4);
          byJob
              .computeIfAbsent(f[0], k -> new ArrayList<>())
              .add(new Execution(f[0], f[1], Integer.parseInt(f[2]), f[3]));
        }
      }
    }
    return byJob;
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void killedWorkersLoseNoJobAndEachRecordsTheResultOfABodyThatRan() throws Exception {
    JobStore store = parentJobStore();
    IdempotencyStore idemStore = parentIdempotencyStore();
    Jobs jobs = Jobs.builder(store).build();
    List<JobRequest> batch = new ArrayList<>();
    for (int i = 0; i < JOBS; i++) {
      batch.add(JobRequest.of(TYPE, new Work(i)).unique(Unique.byArgs()).maxAttempts(100));
    }
    for (int from = 0; from < JOBS; from += 200) {
      jobs.enqueueAll(batch.subList(from, Math.min(JOBS, from + 200)));
    }

    Random rnd = new Random();
    Map<String, Process> alive = new HashMap<>();
    Set<String> killed = new HashSet<>();
    int started = 0;
    for (int i = 0; i < 3; i++) {
      String id = "w" + started++;
      alive.put(id, startChild(id));
    }
    // kill -9 workers that hold running jobs, so that every kill lands in the middle of work. The
    // random pauses between kills are the test's design, not a wait for a condition: the kill is
    // to land at a moment of real time that nothing in the worker chose.
    int kills = 0;
    long chaosUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (System.nanoTime() < chaosUntil && succeeded(store) < JOBS * 6 / 10) {
      Thread.sleep(200 + rnd.nextInt(600));
      List<String> holding =
          store
              .list(JobQuery.all().withStates(Set.of(JobState.RUNNING)).withLimit(1000))
              .jobs()
              .stream()
              .map(Job::workerId)
              .filter(alive::containsKey)
              .distinct()
              .toList();
      if (holding.isEmpty()) {
        continue;
      }
      String victim = holding.get(rnd.nextInt(holding.size()));
      alive.remove(victim).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      killed.add(victim);
      kills++;
      String id = "w" + started++;
      alive.put(id, startChild(id));
    }
    try {
      await("every job SUCCEEDED")
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> succeeded(store) >= JOBS);
    } catch (ConditionTimeoutException e) {
      // the assertion below says how far the jobs got, with the workers' logs
    }
    for (Process p : alive.values()) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // no body appends to the logs any more
    }

    JobStats stats = store.stats();
    assertThat(stats.count(JobState.SUCCEEDED))
        .as("succeeded jobs; stats %s; worker logs: %s", stats.byState(), logTails())
        .isEqualTo(JOBS);
    assertThat(kills).as("workers killed while holding jobs").isGreaterThanOrEqualTo(3);

    Map<String, List<Execution>> executions = readExecutions();
    int retried = 0;
    int replayed = 0;
    int ranAgain = 0;
    int extraByKilled = 0;
    int extraByLive = 0;
    int bodies = 0;
    Set<String> listed = new HashSet<>();
    String after = null;
    do {
      var page = store.list(JobQuery.all().withLimit(1000).withAfter(after));
      for (Job j : page.jobs()) {
        listed.add(j.id());
        IdempotencyRecord rec = idemStore.get("job:" + j.id()).orElse(null);
        assertThat(rec).as("the effect record of %s", j).isNotNull();
        assertThat(rec.state()).as("the effect record of %s", j).isEqualTo(RecordState.COMPLETED);
        String recorded = rec.result().encoded();
        assertThat(j.result())
            .as("job %s reports the one recorded result", j.id())
            .isEqualTo(recorded);
        List<Execution> ran = executions.getOrDefault(j.id(), List.of());
        Execution source =
            ran.stream()
                .filter(e -> recorded.equals("\"" + e.value() + "\""))
                .findFirst()
                .orElse(null);
        assertThat(source)
            .as(
                "the execution whose result %s recorded for job %s, among %s",
                recorded, j.id(), ran)
            .isNotNull();
        assertThat(ran.size())
            .as("executions of job %s (one body per claim of its key): %s", j.id(), ran)
            .isLessThanOrEqualTo(rec.attempt());
        bodies += ran.size();
        if (ran.size() > 1) {
          ranAgain++;
        }
        for (Execution e : ran) {
          if (e != source) {
            if (killed.contains(e.worker())) {
              extraByKilled++;
            } else {
              extraByLive++;
            }
          }
        }
        if (j.attempt() > 1) {
          retried++;
        }
        if (source.attempt() != j.attempt()) {
          replayed++;
        }
      }
      after = page.next();
    } while (after != null);
    assertThat(listed).as("jobs listed").hasSize(JOBS);
    assertThat(executions.keySet()).as("jobs with logged executions").isSubsetOf(listed);
    assertThat(retried).as("jobs whose worker was killed under them ran again").isPositive();
    System.out.printf(
        "crash run: %d jobs, %d workers killed, %d jobs ran more than one attempt, %d replayed"
            + " the result of an earlier attempt; %d bodies ran, %d jobs' bodies ran more than once"
            + " (%d extra runs begun by killed workers, %d by live workers that lost the key's"
            + " lease)%n",
        JOBS, kills, retried, replayed, bodies, ranAgain, extraByKilled, extraByLive);
  }

  private static long succeeded(JobStore store) {
    return store.stats().count(JobState.SUCCEEDED);
  }

  private String logTails() {
    StringBuilder sb = new StringBuilder();
    try (var files = Files.list(dir)) {
      for (Path p : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
        List<String> lines = Files.readAllLines(p);
        sb.append('\n')
            .append(p.getFileName())
            .append(": ")
            .append(
                String.join("\n  ", lines.subList(Math.max(0, lines.size() - 5), lines.size())));
      }
    } catch (IOException e) {
      sb.append(e);
    }
    return sb.toString();
  }
}
