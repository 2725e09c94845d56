package io.idem.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.idem.StoreUnavailableException;
import io.idem.job.ConflictPolicy;
import io.idem.job.EnqueueOutcome;
import io.idem.job.Job;
import io.idem.job.JobQuery;
import io.idem.spi.JobClaim;
import io.idem.spi.NewJob;
import io.idem.testkit.servers.RedisServer;
import io.idem.testkit.servers.TestServers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.ThrowingConsumer;

/**
 * The job store while its Redis is killed and started again: every step fails fast with a {@link
 * StoreUnavailableException} naming the server and the step, the store works again by itself once
 * Redis is back (the restarted Redis has no persistence and no scripts: they are sent again), and a
 * subscriber is subscribed again and woken by another store's enqueue.
 */
class RedisJobOutageTest {

  private static final Duration LEASE = Duration.ofSeconds(30);

  /**
   * The stores' command timeout: a step fails at once, or after this when Redis does not answer.
   */
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);

  /** What a failing step may take beyond the command timeout on a loaded machine. */
  private static final Duration MARGIN = Duration.ofSeconds(2);

  private static NewJob job(String id) {
    return new NewJob(
        id, "t", "q", 0, "{}", null, null, null, 3, "key:" + id, Set.of(), ConflictPolicy.REJECT);
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void redisKilledAndStartedAgain() throws Exception {
    RedisServer server = RedisTesting.server();
    TestServers.requireManaged(server);
    String prefix = RedisTesting.uniquePrefix("jobout");
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (RedisJobStore listening =
            RedisJobStore.builder(server.uri())
                .prefix(prefix)
                .commandTimeout(COMMAND_TIMEOUT)
                .build();
        RedisJobStore other =
            RedisJobStore.builder(server.uri())
                .prefix(prefix)
                .commandTimeout(COMMAND_TIMEOUT)
                .build()) {
      AtomicInteger wakes = new AtomicInteger();
      AutoCloseable sub = listening.subscribe(wakes::incrementAndGet);
      other.enqueue(job(run + "-before"));
      await().atMost(Duration.ofSeconds(10)).until(() -> wakes.get() >= 1);
      Job before = listening.claim(claim()).get(0);

      // 1. Redis dies: every step fails within the command timeout, naming the server and the step
      server.stop(true);
      String hostPort = server.hostPort();
      expectUnavailable(
          "enqueue of job " + run + "-x", s -> s.enqueue(job(run + "-x")), listening, hostPort);
      expectUnavailable("claim from queues [q]", s -> s.claim(claim()), listening, hostPort);
      expectUnavailable(
          "complete of job " + before.id(),
          s -> s.complete(before.id(), before.token(), null),
          listening,
          hostPort);
      expectUnavailable("get of job", s -> s.get(before.id()), listening, hostPort);
      expectUnavailable("list of jobs", s -> s.list(JobQuery.all()), listening, hostPort);
      expectUnavailable("stats of jobs", RedisJobStore::stats, listening, hostPort);
      expectUnavailable("maintenance of jobs", RedisJobStore::maintain, listening, hostPort);
      expectUnavailable("purge of jobs", s -> s.purge(Instant.now()), listening, hostPort);
      expectUnavailable(
          "enqueue of 1 jobs", s -> s.enqueueAll(List.of(job(run + "-y"))), listening, hostPort);

      // 2. Redis is back (empty: no persistence): the stores reconnect by themselves (Lettuce's
      // reconnect delay grows with the outage, up to 30 s)
      int wakesBefore = wakes.get();
      server.start();
      await()
          .atMost(Duration.ofSeconds(45))
          .pollInterval(Duration.ofMillis(50))
          .ignoreExceptionsInstanceOf(StoreUnavailableException.class)
          .until(() -> other.enqueue(job(run + "-after")).outcome() == EnqueueOutcome.ENQUEUED);
      // the subscription is renewed, which wakes the listener (messages may have been missed)
      await().atMost(Duration.ofSeconds(45)).until(() -> wakes.get() > wakesBefore);
      int renewed = wakes.get();
      other.enqueue(job(run + "-woken"));
      await().atMost(Duration.ofSeconds(10)).until(() -> wakes.get() > renewed);

      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptionsInstanceOf(StoreUnavailableException.class)
          .until(() -> listening.claim(claim()).size() == 2);
      assertThat(listening.get(run + "-after").orElseThrow().state().name()).isEqualTo("RUNNING");
      assertThat(listening.get(before.id())).isEmpty(); // Redis lost it with the crash
      sub.close();
    } finally {
      server.start(); // a no-op when it runs; brings it back when the test failed midway
      RedisTesting.deleteKeysOf(prefix);
    }
  }

  private static JobClaim claim() {
    return new JobClaim(List.of("q"), Set.of(), "w", LEASE, 10);
  }

  private static void expectUnavailable(
      String step, ThrowingConsumer<RedisJobStore> call, RedisJobStore store, String hostPort) {
    long start = System.nanoTime();
    assertThatThrownBy(() -> call.accept(store))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining(hostPort)
        .hasMessageContaining(step);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isLessThan(COMMAND_TIMEOUT.plus(MARGIN));
  }
}
