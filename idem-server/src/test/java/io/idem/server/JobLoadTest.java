package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.job.Job;
import io.idem.job.JobPage;
import io.idem.job.JobQuery;
import io.idem.job.Jobs;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded load run on loopback: {@value #THREADS} client threads each send {@value #PER_THREAD}
 * {@code POST /v1/jobs}; threads 0 and 1 send the same {@value #PER_THREAD} unique keys in the same
 * order, and so do threads 2 and 3, so half of the requests are duplicates that race their first.
 * Every answer must be 201 or 409, and each key must end with exactly one job. Prints p50 / p99
 * latency (docs/benchmarks.md, "Server load"):
 *
 * <pre>
 * mvn -B -o -q test -pl idem-server -Dtest=JobLoadTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class JobLoadTest {

  static final int THREADS = 4;
  static final int PER_THREAD = 500;
  static final String KEY = "key-l-0123456789abcdef";

  @TempDir Path dir;
  private IdemServer server;

  @BeforeEach
  void start() {
    server =
        IdemServer.start(ServerConfig.builder().port(0).dataDir(dir).apiKey(KEY, "load").build());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void duplicatesUnderConcurrentLoadMakeNoErrorsAndNoSecondJob() throws Exception {
    // warm up the connection pool and the JIT a little, on keys of their own
    for (int i = 0; i < 50; i++) {
      post("{\"type\":\"warm\",\"unique\":{\"by\":\"key\",\"key\":\"w" + i + "\"}}");
    }
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    AtomicInteger created = new AtomicInteger();
    AtomicInteger conflicts = new AtomicInteger();
    long[][] latencies = new long[THREADS][PER_THREAD];
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      done.add(
          pool.submit(
              () -> {
                go.await();
                for (int i = 0; i < PER_THREAD; i++) {
                  String key = "k" + (thread / 2) + "-" + i;
                  String body =
                      "{\"type\":\"load\",\"args\":{\"i\":"
                          + i
                          + "},\"unique\":{\"by\":\"key\",\"key\":\""
                          + key
                          + "\"}}";
                  long t0 = System.nanoTime();
                  HttpResponse<String> r = post(body);
                  latencies[thread][i] = System.nanoTime() - t0;
                  if (r.statusCode() == 201) {
                    created.incrementAndGet();
                  } else if (r.statusCode() == 409) {
                    conflicts.incrementAndGet();
                  } else {
                    errors.add(r.statusCode() + " " + r.body());
                  }
                }
                return null;
              }));
    }
    long start = System.nanoTime();
    go.countDown();
    for (Future<?> f : done) {
      f.get();
    }
    long wallNanos = System.nanoTime() - start;
    pool.shutdown();

    assertThat(errors).isEmpty();
    int total = THREADS * PER_THREAD;
    assertThat(created.get() + conflicts.get()).isEqualTo(total);
    assertThat(created.get()).isEqualTo(total / 2);
    assertThat(conflicts.get()).isEqualTo(total / 2);

    // one job per key, in the store
    Jobs jobs = server.context().tenantNamed("load").jobs();
    Map<String, Integer> perKey = new HashMap<>();
    JobQuery q = JobQuery.all().withType("load").withLimit(JobQuery.MAX_LIMIT);
    while (true) {
      JobPage page = jobs.list(q);
      for (Job j : page.jobs()) {
        perKey.merge(j.uniqueKey(), 1, Integer::sum);
      }
      if (page.next() == null) {
        break;
      }
      q = q.withAfter(page.next());
    }
    assertThat(perKey).hasSize(total / 2);
    assertThat(perKey.values()).allMatch(n -> n == 1);
    assertThat(jobs.stats().duplicatesPreventedTotal()).isEqualTo(total / 2);

    long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
    System.out.printf(
        "server load: %d x %d POST /v1/jobs (half duplicates) on SQLite: %d created, %d conflicts,"
            + " 0 errors; p50 %.2f ms, p99 %.2f ms, max %.2f ms; %.0f requests/s%n",
        THREADS,
        PER_THREAD,
        created.get(),
        conflicts.get(),
        percentile(all, 50) / 1e6,
        percentile(all, 99) / 1e6,
        all[all.length - 1] / 1e6,
        total / (wallNanos / 1e9));
  }

  private HttpResponse<String> post(String body) throws Exception {
    return ServerTesting.send(server, "POST", "/v1/jobs", body, Map.of("X-Api-Key", KEY));
  }

  private static long percentile(long[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
