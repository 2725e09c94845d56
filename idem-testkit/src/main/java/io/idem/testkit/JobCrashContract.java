package io.idem.testkit;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once effects under crashes: worker JVMs (child processes) run {@value #JOBS} jobs whose
 * handler records its effect through {@code Idem.once} in the same backend, while the test kills
 * workers with kill -9 ({@link Process#destroyForcibly}) at random moments and starts new ones. At
 * the end every job SUCCEEDED and each job's effect is recorded exactly once: one COMPLETED
 * idempotency record per job, and the job's result is that record's value (an attempt that ran
 * after a crash replayed the effect instead of making a second one).
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

  /**
   * Runs a crash-test worker on the stores until the process is killed: the handler records {@code
   * effect:<job id>:<worker>:<attempt>} through {@code Idem.once} under the job's idempotency key,
   * pausing a little before and after so that kills land inside the window.
   */
  public static void runWorker(JobStore jobStore, IdempotencyStore idemStore, String workerId)
      throws InterruptedException {
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
          Outcome<String> o =
              idem.once(
                  ctx.idempotencyKey(),
                  ctx.args(),
                  policy,
                  () -> {
                    Thread.sleep(ThreadLocalRandom.current().nextInt(40));
                    return "effect:" + ctx.job().id() + ":" + workerId + ":" + ctx.attempt();
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

  private Process startChild(String workerId) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("-Xmx256m");
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

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void killedWorkersNeverMakeAnEffectTwiceAndEveryJobSucceeds() throws Exception {
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
    int started = 0;
    for (int i = 0; i < 3; i++) {
      String id = "w" + started++;
      alive.put(id, startChild(id));
    }
    // kill -9 workers that hold running jobs, so that every kill lands in the middle of work
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
      kills++;
      String id = "w" + started++;
      alive.put(id, startChild(id));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (succeeded(store) < JOBS && System.nanoTime() < deadline) {
      Thread.sleep(250);
    }
    alive.values().forEach(Process::destroyForcibly);

    JobStats stats = store.stats();
    assertThat(stats.count(JobState.SUCCEEDED))
        .as("succeeded jobs; stats %s; worker logs: %s", stats.byState(), logTails())
        .isEqualTo(JOBS);
    assertThat(kills).as("workers killed while holding jobs").isGreaterThanOrEqualTo(3);

    int retried = 0;
    int replayed = 0;
    Map<String, Integer> effectsByJob = new HashMap<>();
    String after = null;
    do {
      var page = store.list(JobQuery.all().withLimit(1000).withAfter(after));
      for (Job j : page.jobs()) {
        IdempotencyRecord rec = idemStore.get("job:" + j.id()).orElse(null);
        assertThat(rec).as("the effect record of %s", j).isNotNull();
        assertThat(rec.state()).as("the effect record of %s", j).isEqualTo(RecordState.COMPLETED);
        assertThat(j.result())
            .as("job %s reports the one recorded effect", j.id())
            .isEqualTo(rec.result().encoded());
        assertThat(rec.result().encoded()).contains("effect:" + j.id() + ":");
        effectsByJob.merge(j.id(), 1, Integer::sum);
        if (j.attempt() > 1) {
          retried++;
        }
        if (!rec.result().encoded().endsWith(":" + j.attempt() + "\"")) {
          replayed++;
        }
      }
      after = page.next();
    } while (after != null);
    assertThat(effectsByJob).hasSize(JOBS).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    assertThat(retried).as("jobs whose worker was killed under them ran again").isPositive();
    System.out.printf(
        "crash run: %d jobs, %d workers killed, %d jobs ran more than one attempt, %d replayed"
            + " the effect of an earlier attempt%n",
        JOBS, kills, retried, replayed);
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
